"""Opening the SQLite database (WAL, durable commits) and applying versioned migrations."""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path

from firmware import paths

SIP_REALM = "callbox"


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class GroupCommitConnection(sqlite3.Connection):
    """The engine's connection: all writes of one turn of its loop share one transaction, so they
    reach the disk with one fsync, and the turn ends with `commit_pending`.

    The transaction is opened by the turn's first write, with BEGIN IMMEDIATE, not by a BEGIN at the
    start of the turn: a deferred transaction that has read keeps its snapshot, and once the web has
    committed in between, SQLite refuses to turn it into a write ("database is locked" at once,
    whatever the busy timeout). Reads before the first write run on their own, always current.
    """

    def execute(self, sql: str, parameters=(), /) -> sqlite3.Cursor:
        self._begin_for(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters, /) -> sqlite3.Cursor:
        self._begin_for(sql)
        return super().executemany(sql, parameters)

    def _begin_for(self, sql: str) -> None:
        if not self.in_transaction and sql.lstrip()[:7].upper().startswith(_WRITES):
            super().execute("BEGIN IMMEDIATE")


def commit_pending(conn: sqlite3.Connection) -> None:
    """Commits the transaction the connection has open, if any."""
    if conn.in_transaction:
        conn.execute("COMMIT")


def connect(path: Path | str | None = None, group_commit: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every process uses (`group_commit`: the engine's, see
    GroupCommitConnection).

    WAL lets the web read while the engine writes; synchronous=FULL makes a committed CDR
    survive a power cut, not just a killed process.
    """
    path = Path(path) if path is not None else paths.database_path()
    factory = GroupCommitConnection if group_commit else sqlite3.Connection
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False, factory=factory)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("firmware.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def _statements(sql: str) -> list[str]:
    """Splits a script into statements (executescript would commit the open transaction first)."""
    statements, pending = [], ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(line.strip().startswith("--") or not line.strip() for line in pending.splitlines()):
        raise RuntimeError(f"unterminated SQL statement: {pending.strip()[:80]}")
    return statements


def migrate(conn: sqlite3.Connection) -> int:
    """Applies the migrations not yet applied, each all-or-nothing; returns the version.

    Several processes start at once (engine, web workers): what is applied is read again under the
    write lock, so only one of them applies a migration. A migration is applied when it is missing,
    not only when it is newer than the newest applied: parallel branches are given numbers ahead and
    land in any order (0021 before 0020), and a box updated across both must get both.
    """
    current = schema_version(conn)
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    pending = [m for m in _migrations() if m[0] not in applied]
    if not pending:
        return current
    # Foreign key actions off while migrating, as SQLite's own recipe for rebuilding a table says:
    # dropping a table others point at would otherwise cascade into (or null) their rows. The keys
    # are checked before each commit instead. The pragma only takes effect outside a transaction.
    enforcing = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for version, name, sql in pending:
            conn.execute("BEGIN IMMEDIATE")
            try:
                done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone()
                if done is None:
                    for statement in _statements(sql):
                        conn.execute(statement)
                    dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if dangling:
                        table, rowid, parent, _ = dangling[0]
                        raise sqlite3.IntegrityError(f"{len(dangling)} rows point nowhere, e.g. {table} "
                                                     f"row {rowid} at {parent}")
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, time.time()))
                    current = max(current, version)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise RuntimeError(f"migration {name} failed: {exc}") from exc
    finally:
        conn.execute(f"PRAGMA foreign_keys={'ON' if enforcing else 'OFF'}")
    return current


def open_store(path: Path | str | None = None, group_commit: bool = False) -> sqlite3.Connection:
    """Connects and brings the schema up to date: what every process does at start."""
    path = Path(path) if path is not None else paths.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path, group_commit)
    migrate(conn)
    return conn
