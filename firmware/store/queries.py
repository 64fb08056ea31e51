"""Every query of the box, grouped by table. Functions take an open connection first."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable
from typing import Any, overload

from firmware.store.db import SIP_REALM

Row = dict[str, Any]

ROLES = ("admin", "supervisor", "agent")
OUTCOMES = ("answered", "abandoned", "overflowed", "failed")


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    return [dict(r) for r in cursor.fetchall()]


def _row(cursor: sqlite3.Cursor) -> Row | None:
    r = cursor.fetchone()
    return dict(r) if r is not None else None


def _written(row: Row | None) -> Row:
    """The row an INSERT just made, read back on the same connection: it exists."""
    if row is None:
        raise LookupError("the row just written was not found")
    return row


# --- users, tokens, audit, settings ---------------------------------------------------------

def count_users(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def create_user(conn, username: str, password_hash: str, role: str, agent_id: int | None = None) -> Row:
    cur = conn.execute(
        "INSERT INTO users (username, password_hash, role, agent_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (username, password_hash, role, agent_id, time.time()),
    )
    return _written(get_user(conn, cur.lastrowid))


def create_first_admin(conn, username: str, password_hash: str) -> Row | None:
    """Creates the admin only while there is no user at all; None if somebody was first."""
    with transaction(conn):
        if count_users(conn):
            return None
        return create_user(conn, username, password_hash, "admin")


def get_user(conn, user_id: int) -> Row | None:
    return _row(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)))


def set_user_language(conn, user_id: int, language: str | None, actor: str) -> None:
    """The user's own language for pages (en, sv, de, zh); None: as their browser asks. Audited."""
    with transaction(conn):
        conn.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))
        audit(conn, actor, "user.language", language or "browser")


def get_user_by_name(conn, username: str) -> Row | None:
    """The user of that name, deactivated or not (check `deactivated_at`)."""
    return _row(conn.execute("SELECT * FROM users WHERE username = ?", (username,)))


def list_users(conn, *, inactive: bool = False) -> list[Row]:
    """The active users; with `inactive`, the deactivated ones too (after them)."""
    where = "" if inactive else " WHERE deactivated_at IS NULL"
    return _rows(conn.execute("SELECT id, username, role, agent_id, created_at, deactivated_at FROM users"
                              f"{where} ORDER BY deactivated_at IS NOT NULL, username"))


def count_active_admins(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL").fetchone()[0]


def deactivate_user(conn, user_id: int, at: float | None = None) -> bool:
    """The user can no longer log in; the audit log keeps their name. Never deleted."""
    return conn.execute("UPDATE users SET deactivated_at = ? WHERE id = ? AND deactivated_at IS NULL",
                        (at or time.time(), user_id)).rowcount > 0


def reactivate_user(conn, user_id: int) -> None:
    conn.execute("UPDATE users SET deactivated_at = NULL WHERE id = ?", (user_id,))


def login_wait(conn, address: str, now: float) -> float:
    """Seconds before `address` may try a password again (0: now)."""
    row = conn.execute("SELECT blocked_until FROM login_failures WHERE address = ?", (address,)).fetchone()
    return max(0.0, row[0] - now) if row else 0.0


def record_login_failure(conn, address: str, now: float, *, free: int, first_delay: float, max_delay: float,
                         forget_after: float) -> float:
    """Counts a failed login from `address` and returns how long it must now wait: nothing for the
    first `free` failures, then first_delay, doubled at each further one, at most max_delay. A count
    left alone for `forget_after` seconds starts over. Read and written under the write lock, so two
    workers failing at once count two."""
    with transaction(conn):
        row = conn.execute("SELECT failures, last_failed_at FROM login_failures WHERE address = ?",
                           (address,)).fetchone()
        failures = 1 if row is None or now - row[1] > forget_after else row[0] + 1
        over = failures - free
        delay = 0.0 if over <= 0 else min(max_delay, first_delay * 2 ** min(over - 1, 30))
        conn.execute(
            "INSERT INTO login_failures (address, failures, last_failed_at, blocked_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(address) DO UPDATE SET failures = excluded.failures, "
            "last_failed_at = excluded.last_failed_at, blocked_until = excluded.blocked_until",
            (address, failures, now, now + delay))
    return delay


def clear_login_failures(conn) -> int:
    """Forgets every address's failures (the console's password reset); returns how many."""
    return conn.execute("DELETE FROM login_failures").rowcount


def set_password(conn, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn, role: str, label: str = "") -> str:
    """Returns the new bearer token; only its hash is stored."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO api_tokens (token_hash, role, label, created_at) VALUES (?, ?, ?, ?)",
        (_token_hash(token), role, label, time.time()),
    )
    return token


def token_role(conn, token: str) -> str | None:
    row = conn.execute("SELECT role FROM api_tokens WHERE token_hash = ?", (_token_hash(token),)).fetchone()
    return row[0] if row else None


def audit(conn, actor: str, action: str, detail: str = "") -> None:
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        (time.time(), actor, action, detail),
    )


def list_audit(conn, limit: int = 200) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)))


def get_setting(conn, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_setting(conn, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# --- agents ---------------------------------------------------------------------------------

def sip_ha1(extension: str, password: str) -> str:
    return hashlib.md5(f"{extension}:{SIP_REALM}:{password}".encode()).hexdigest()


def create_agent(conn, name: str, extension: str, sip_password: str, settings: dict | None = None) -> Row:
    cur = conn.execute(
        "INSERT INTO agents (name, extension, sip_ha1, settings, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, extension, sip_ha1(extension, sip_password), json.dumps(settings or {}), time.time()),
    )
    return _written(get_agent(conn, cur.lastrowid))


def update_agent_settings(conn, agent_id: int, settings: dict) -> Row | None:
    conn.execute("UPDATE agents SET settings = ? WHERE id = ?", (json.dumps(settings), agent_id))
    return get_agent(conn, agent_id)


_AGENT_COLUMNS = "id, name, extension, settings, paused_reason, created_at, deactivated_at"


def set_agent_pause(conn, agent_id: int, reason: str | None) -> None:
    conn.execute("UPDATE agents SET paused_reason = ? WHERE id = ?", (reason, agent_id))


@overload
def _agent_row(row: Row) -> Row: ...
@overload
def _agent_row(row: None) -> None: ...
def _agent_row(row: Row | None) -> Row | None:
    if row is not None:
        row["settings"] = json.loads(row.get("settings") or "{}")
        row["active"] = row["deactivated_at"] is None
    return row


def get_agent(conn, agent_id: int) -> Row | None:
    """The agent, deactivated or not (`active`): history names them either way."""
    return _agent_row(_row(conn.execute(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,))))


def get_agent_by_extension(conn, extension: str) -> Row | None:
    """The active agent with this extension (a deactivated one's may have been given to another)."""
    return _agent_row(_row(conn.execute(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE extension = ? "
                                        "AND deactivated_at IS NULL", (extension,))))


def list_agents(conn, *, inactive: bool = False) -> list[Row]:
    """The active agents (what the engine routes to); with `inactive`, the deactivated ones too, after them."""
    where = "" if inactive else " WHERE deactivated_at IS NULL"
    return [_agent_row(r) for r in _rows(conn.execute(
        f"SELECT {_AGENT_COLUMNS} FROM agents{where} ORDER BY deactivated_at IS NOT NULL, extension, id"))]


def deactivate_agent(conn, agent_id: int, at: float | None = None) -> bool:
    """The agent leaves: out of every queue, logged out, their phone refused at the edge (the
    `subscriber` view), their extension free for a new agent. The row stays, so past calls,
    classifications, callbacks and users keep pointing at them. Never deleted."""
    done = conn.execute("UPDATE agents SET deactivated_at = ?, paused_reason = NULL "
                        "WHERE id = ? AND deactivated_at IS NULL", (at or time.time(), agent_id)).rowcount > 0
    if done:
        conn.execute("DELETE FROM queue_members WHERE agent_id = ?", (agent_id,))
        conn.execute("DELETE FROM agent_logins WHERE agent_id = ?", (agent_id,))
    return done


# --- queues ---------------------------------------------------------------------------------

def create_queue(conn, name: str, strategy: str = "longest-idle", settings: dict | None = None) -> Row:
    cur = conn.execute(
        "INSERT INTO queues (name, strategy, settings, created_at) VALUES (?, ?, ?, ?)",
        (name, strategy, json.dumps(settings or {}), time.time()),
    )
    return _written(get_queue(conn, cur.lastrowid))


def update_queue(conn, queue_id: int, *, strategy: str | None = None, settings: dict | None = None) -> Row | None:
    if strategy is not None:
        conn.execute("UPDATE queues SET strategy = ? WHERE id = ?", (strategy, queue_id))
    if settings is not None:
        conn.execute("UPDATE queues SET settings = ? WHERE id = ?", (json.dumps(settings), queue_id))
    return get_queue(conn, queue_id)


@overload
def _queue_row(row: Row) -> Row: ...
@overload
def _queue_row(row: None) -> None: ...
def _queue_row(row: Row | None) -> Row | None:
    if row is not None:
        row["settings"] = json.loads(row.get("settings") or "{}")
    return row


def get_queue(conn, queue_id: int) -> Row | None:
    return _queue_row(_row(conn.execute("SELECT * FROM queues WHERE id = ?", (queue_id,))))


def list_queues(conn) -> list[Row]:
    return [_queue_row(r) for r in _rows(conn.execute("SELECT * FROM queues ORDER BY name"))]


def delete_queue(conn, queue_id: int) -> bool:
    return conn.execute("DELETE FROM queues WHERE id = ?", (queue_id,)).rowcount > 0


def add_queue_member(conn, queue_id: int, agent_id: int) -> bool:
    """False if the agent already was a member."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO queue_members (queue_id, agent_id) VALUES (?, ?)", (queue_id, agent_id)
    )
    return cur.rowcount > 0


def remove_queue_member(conn, queue_id: int, agent_id: int) -> bool:
    return conn.execute(
        "DELETE FROM queue_members WHERE queue_id = ? AND agent_id = ?", (queue_id, agent_id)
    ).rowcount > 0


def list_queue_members(conn, queue_id: int) -> list[Row]:
    return _rows(conn.execute(
        "SELECT a.id, a.name, a.extension FROM queue_members m JOIN agents a ON a.id = m.agent_id "
        "WHERE m.queue_id = ? AND a.deactivated_at IS NULL ORDER BY a.extension", (queue_id,)))


def agent_queue_ids(conn, agent_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT queue_id FROM queue_members WHERE agent_id = ?", (agent_id,))]


# --- agent logins -----------------------------------------------------------------------------

def login_agent(conn, agent_id: int, queue_ids: Iterable[int]) -> list[int]:
    now = time.time()
    ids = sorted(set(queue_ids))
    with transaction(conn):
        for qid in ids:
            conn.execute(
                "INSERT OR IGNORE INTO agent_logins (agent_id, queue_id, since) VALUES (?, ?, ?)", (agent_id, qid, now)
            )
    return logged_in_queue_ids(conn, agent_id)


def logout_agent(conn, agent_id: int, queue_ids: Iterable[int] | None = None) -> list[int]:
    if queue_ids is None:
        conn.execute("DELETE FROM agent_logins WHERE agent_id = ?", (agent_id,))
    else:
        conn.executemany(
            "DELETE FROM agent_logins WHERE agent_id = ? AND queue_id = ?", [(agent_id, q) for q in queue_ids]
        )
    return logged_in_queue_ids(conn, agent_id)


def logged_in_queue_ids(conn, agent_id: int) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT queue_id FROM agent_logins WHERE agent_id = ? ORDER BY queue_id", (agent_id,))]


def all_agent_logins(conn) -> list[Row]:
    return _rows(conn.execute("SELECT agent_id, queue_id, since FROM agent_logins"))


# --- trunks and inbound routes ----------------------------------------------------------------

_TRUNK_COLUMNS = "id, name, type, address, username, dtmf, device, dialect, number, created_at"


def create_trunk(conn, name: str, type: str, address: str, username: str | None = None,
                 password: str | None = None, dtmf: str = "rfc4733", *, device: str | None = None,
                 dialect: str | None = None, number: str | None = None) -> Row:
    cur = conn.execute(
        "INSERT INTO trunks (name, type, address, username, password, dtmf, device, dialect, number, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, type, address, username, password, dtmf, device, dialect, number, time.time()),
    )
    return _written(get_trunk(conn, cur.lastrowid))


def get_trunk(conn, trunk_id: int) -> Row | None:
    """The trunk without its password (what the API and pages show)."""
    return _row(conn.execute(f"SELECT {_TRUNK_COLUMNS} FROM trunks WHERE id = ?", (trunk_id,)))


def list_trunks(conn) -> list[Row]:
    return _rows(conn.execute(f"SELECT {_TRUNK_COLUMNS} FROM trunks ORDER BY name"))


def list_trunks_with_secrets(conn) -> list[Row]:
    """For the engine only: it registers to providers with these credentials."""
    return _rows(conn.execute("SELECT * FROM trunks ORDER BY id"))


def delete_trunk(conn, trunk_id: int) -> bool:
    return conn.execute("DELETE FROM trunks WHERE id = ?", (trunk_id,)).rowcount > 0


def create_inbound_route(conn, did: str, queue_id: int, priority: int = 0) -> Row:
    cur = conn.execute(
        "INSERT INTO inbound_routes (did, queue_id, priority, created_at) VALUES (?, ?, ?, ?)",
        (did, queue_id, priority, time.time()),
    )
    return _written(get_inbound_route(conn, cur.lastrowid))


def get_inbound_route(conn, route_id: int) -> Row | None:
    return _row(conn.execute("SELECT * FROM inbound_routes WHERE id = ?", (route_id,)))


def list_inbound_routes(conn) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM inbound_routes ORDER BY did"))


def delete_inbound_route(conn, route_id: int) -> bool:
    return conn.execute("DELETE FROM inbound_routes WHERE id = ?", (route_id,)).rowcount > 0


def route_for_did(conn, did: str) -> Row | None:
    return _row(conn.execute("SELECT * FROM inbound_routes WHERE did = ?", (did,)))


# --- calls, queue events, recordings ----------------------------------------------------------

def open_call(conn, caller: str, callee: str, sip_call_id: str | None = None, trunk_id: int | None = None,
              started_at: float | None = None, *, direction: str = "inbound", callback_of: int | None = None) -> int:
    cur = conn.execute(
        "INSERT INTO calls (sip_call_id, caller, callee, trunk_id, started_at, direction, callback_of) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sip_call_id, caller, callee, trunk_id, started_at or time.time(), direction, callback_of),
    )
    return cur.lastrowid


def update_call(conn, call_id: int, **fields: Any) -> None:
    allowed = {"queue_id", "agent_id", "queued_at", "answered_at", "recording_id", "caller_input", "left_queue_at"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update call fields {sorted(unknown)}")
    assignments = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(f"UPDATE calls SET {assignments} WHERE id = ?", (*fields.values(), call_id))


def close_call(conn, call_id: int, outcome: str, cause: str, ended_at: float | None = None) -> None:
    """Ends a call once: wait and talk times are derived from its timestamps."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    ended_at = ended_at or time.time()
    conn.execute(
        """UPDATE calls SET outcome = ?, cause = ?, ended_at = ?,
               wait_seconds = CASE WHEN queued_at IS NULL THEN NULL
                                   ELSE MAX(0, COALESCE(answered_at, left_queue_at, ?) - queued_at) END,
               talk_seconds = CASE WHEN answered_at IS NULL THEN NULL ELSE MAX(0, ? - answered_at) END
           WHERE id = ? AND outcome IS NULL""",
        (outcome, cause, ended_at, ended_at, ended_at, call_id),
    )


def close_lost_calls(conn, cause: str) -> list[int]:
    """Closes every call still open (the engine died with them); returns their ids."""
    now = time.time()
    with transaction(conn):
        open_ids = [r[0] for r in conn.execute("SELECT id FROM calls WHERE outcome IS NULL")]
        for call_id in open_ids:
            row = conn.execute("SELECT answered_at FROM calls WHERE id = ?", (call_id,)).fetchone()
            # An answered call was talking when it was cut: its outcome stays "answered".
            outcome = "answered" if row["answered_at"] is not None else "failed"
            close_call(conn, call_id, outcome, cause, now)
            conn.execute(
                "INSERT INTO queue_events (call_id, queue_id, agent_id, event, at, detail) "
                "SELECT id, queue_id, agent_id, 'fail', ?, ? FROM calls WHERE id = ? AND queue_id IS NOT NULL",
                (now, cause, call_id),
            )
    return open_ids


def get_call(conn, call_id: int) -> Row | None:
    return _row(conn.execute(_CALL_SELECT + " WHERE c.id = ?", (call_id,)))


_CALL_SELECT = """
    SELECT c.id, c.caller, c.callee, c.started_at, c.answered_at, c.ended_at, c.wait_seconds,
           c.talk_seconds, c.outcome, c.cause, c.recording_id, c.queue_id, c.agent_id, c.trunk_id,
           c.caller_input, c.direction, c.callback_of,
           c.disposition, c.disposition_note, c.disposition_at, d.extension AS disposition_by,
           q.name AS queue, a.extension AS agent, a.name AS agent_name
    FROM calls c LEFT JOIN queues q ON q.id = c.queue_id LEFT JOIN agents a ON a.id = c.agent_id
    LEFT JOIN agents d ON d.id = c.disposition_by"""


def _call_filters(outcome, queue_id, agent_id, since, until, caller, disposition=None) -> tuple[str, list]:
    """The WHERE clause (over `calls c`) and its arguments for the call list's filters."""
    where, args = [], []
    for clause, value in (("c.outcome = ?", outcome), ("c.queue_id = ?", queue_id), ("c.agent_id = ?", agent_id),
                          ("c.started_at >= ?", since), ("c.started_at < ?", until),
                          ("c.disposition = ?", disposition)):
        if value is not None:
            where.append(clause)
            args.append(value)
    if caller:
        where.append("c.caller LIKE ?")
        args.append(f"%{caller}%")
    return (" WHERE " + " AND ".join(where) if where else ""), args


def list_calls(conn, *, outcome: str | None = None, queue_id: int | None = None, agent_id: int | None = None,
               since: float | None = None, until: float | None = None, caller: str | None = None,
               disposition: str | None = None, limit: int = 100, offset: int = 0) -> list[Row]:
    """Calls newest first, filtered by whatever is given."""
    where, args = _call_filters(outcome, queue_id, agent_id, since, until, caller, disposition)
    sql = _CALL_SELECT + where + " ORDER BY c.started_at DESC, c.id DESC LIMIT ? OFFSET ?"
    return _rows(conn.execute(sql, (*args, limit, offset)))


def last_answered_call(conn, agent_id: int) -> int | None:
    row = conn.execute("SELECT id FROM calls WHERE agent_id = ? AND answered_at IS NOT NULL "
                       "ORDER BY answered_at DESC, id DESC LIMIT 1", (agent_id,)).fetchone()
    return row[0] if row else None


def classify_call(conn, call_id: int, disposition: str, note: str, agent_id: int | None) -> None:
    """Sets (or replaces) how the call was classified (ACD12), by whom and when."""
    conn.execute("UPDATE calls SET disposition = ?, disposition_note = ?, disposition_by = ?, disposition_at = ? "
                 "WHERE id = ?", (disposition, note or None, agent_id, time.time(), call_id))


def add_queue_event(conn, call_id: int, event: str, queue_id: int | None = None, agent_id: int | None = None,
                    at: float | None = None, detail: str = "") -> None:
    conn.execute(
        "INSERT INTO queue_events (call_id, queue_id, agent_id, event, at, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (call_id, queue_id, agent_id, event, at or time.time(), detail),
    )


def list_queue_events(conn, call_id: int) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM queue_events WHERE call_id = ? ORDER BY id", (call_id,)))


def add_recording(conn, call_id: int, path: str, channels: int = 1, started_at: float | None = None) -> int:
    cur = conn.execute(
        "INSERT INTO recordings (call_id, path, channels, started_at) VALUES (?, ?, ?, ?)",
        (call_id, path, channels, started_at or time.time()),
    )
    return cur.lastrowid


def finish_recording(conn, recording_id: int, duration_seconds: float, size: int) -> None:
    conn.execute(
        "UPDATE recordings SET duration_seconds = ?, bytes = ? WHERE id = ?", (duration_seconds, size, recording_id)
    )


def get_recording(conn, recording_id: int) -> Row | None:
    return _row(conn.execute("SELECT * FROM recordings WHERE id = ?", (recording_id,)))


def unfinished_recordings(conn) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM recordings WHERE duration_seconds IS NULL"))


# --- agents' activity (logins and pauses) -----------------------------------------------------------

AGENT_ACTIVITIES = ("login", "logout", "pause", "pause-end")


def add_agent_activity(conn, agent_id: int, activity: str, reason: str = "", billable: bool = False,
                       at: float | None = None) -> None:
    if activity not in AGENT_ACTIVITIES:
        raise ValueError(f"unknown agent activity {activity!r}")
    conn.execute("INSERT INTO agent_activity (agent_id, activity, reason, billable, at) VALUES (?, ?, ?, ?, ?)",
                 (agent_id, activity, reason, int(billable), at or time.time()))


def agent_activity(conn, agent_id: int, since: float, until: float) -> list[Row]:
    """The agent's activity within [since, until), after the last login or logout and the last pause
    or pause end before `since` (the agent's state when the window opens), oldest first."""
    before = _rows(conn.execute(
        "SELECT * FROM agent_activity WHERE id IN ("
        " SELECT max(id) FROM agent_activity WHERE agent_id = ? AND at < ? AND activity IN ('login', 'logout')"
        " UNION SELECT max(id) FROM agent_activity WHERE agent_id = ? AND at < ? AND activity IN ('pause', 'pause-end'))",
        (agent_id, since, agent_id, since)))
    within = _rows(conn.execute("SELECT * FROM agent_activity WHERE agent_id = ? AND at >= ? AND at < ? ORDER BY at, id",
                                (agent_id, since, until)))
    return sorted(before, key=lambda r: (r["at"], r["id"])) + within


def close_open_agent_activity(conn, at: float) -> int:
    """Ends the logins and pauses a previous engine left open (it died with them): a pause end (its
    reason kept) and a logout (reason "engine-restart") at `at`. The next engine logs them in again."""
    closed = 0
    with transaction(conn):
        lasts = conn.execute(
            "SELECT a.agent_id, a.activity, a.reason, a.billable FROM agent_activity a JOIN ("
            " SELECT agent_id, max(id) AS id FROM agent_activity GROUP BY agent_id, activity IN ('login', 'logout')"
            ") last ON last.id = a.id").fetchall()
        for agent_id, activity, reason, billable in lasts:       # pauses first: they end before the logout
            if activity == "pause":
                add_agent_activity(conn, agent_id, "pause-end", reason, bool(billable), at)
                closed += 1
        for agent_id, activity, _, _ in lasts:
            if activity == "login":
                add_agent_activity(conn, agent_id, "logout", "engine-restart", False, at)
                closed += 1
    return closed


# --- callbacks --------------------------------------------------------------------------------

OPEN_CALLBACK_STATUSES = ("waiting", "calling", "connecting", "no-answer")


def save_callback(conn, call_id: int, queue_id: int, number: str, arrived_at: float, *, caller_input: str = "",
                  forced: bool = False, wanted_from: float | None = None, wanted_until: float | None = None) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO callbacks (call_id, queue_id, number, caller_input, requested_at, arrived_at, forced, "
        "wanted_from, wanted_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (call_id, queue_id, number, caller_input, time.time(), arrived_at, int(forced), wanted_from, wanted_until),
    )


def update_callback(conn, call_id: int, *, status: str, attempts: int, last_handler: int | None,
                    log: list[str]) -> None:
    conn.execute(
        "UPDATE callbacks SET status = ?, attempts = ?, last_handler = ?, log = ? WHERE call_id = ?",
        (status, attempts, last_handler, json.dumps(log), call_id),
    )


def open_callbacks(conn) -> list[Row]:
    marks = ", ".join("?" * len(OPEN_CALLBACK_STATUSES))
    rows = _rows(conn.execute(
        f"SELECT * FROM callbacks WHERE status IN ({marks}) ORDER BY arrived_at, call_id", OPEN_CALLBACK_STATUSES))
    for row in rows:
        row["log"] = json.loads(row["log"])
    return rows


def count_callbacks(conn, queue_id: int, statuses: tuple[str, ...]) -> int:
    marks = ", ".join("?" * len(statuses))
    return conn.execute(f"SELECT count(*) FROM callbacks WHERE queue_id = ? AND status IN ({marks})",
                        (queue_id, *statuses)).fetchone()[0]


# The callback list's columns (ACD14) and what each sorts by. A request without a wanted interval is
# wanted from when it was made; "no handler yet" sorts after every handler (as firmware/acd/callbacks.py).
CALLBACK_SORTS = {
    "arrived": "c.arrived_at",
    "interval": "COALESCE(c.wanted_from, c.requested_at)",
    "queue": "q.name",
    "caller_input": "c.caller_input",
    "last_handler": "c.last_handler IS NULL {order}, a.extension",
    "status": "c.status",
    "log": "COALESCE(json_extract(c.log, '$[#-1]'), '')",
}

_CALLBACK_SELECT = """
    SELECT c.*, q.name AS queue, a.extension AS last_handler_extension, a.name AS last_handler_name
    FROM callbacks c JOIN queues q ON q.id = c.queue_id LEFT JOIN agents a ON a.id = c.last_handler
"""


def _callback_row(row: Row) -> Row:
    row["log"] = json.loads(row["log"])
    row["last_log"] = row["log"][-1] if row["log"] else ""
    row["forced"] = bool(row["forced"])
    return row


def list_callbacks(conn, *, sort: str = "arrived", descending: bool = False, queue_id: int | None = None,
                   open_only: bool = False, limit: int = 200, offset: int = 0) -> list[Row]:
    """The callback list as kept in the store, sorted by one of its columns (ties: by arrival)."""
    if sort not in CALLBACK_SORTS:
        raise ValueError(f"unknown callback list column {sort!r}")
    order = "DESC" if descending else "ASC"
    where: list[str] = []
    args: list[Any] = []
    if queue_id is not None:
        where.append("c.queue_id = ?")
        args.append(queue_id)
    if open_only:
        where.append(f"c.status IN ({', '.join('?' * len(OPEN_CALLBACK_STATUSES))})")
        args.extend(OPEN_CALLBACK_STATUSES)
    sql = _CALLBACK_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    key = CALLBACK_SORTS[sort].format(order=order)
    sql += f" ORDER BY {key} {order}, c.arrived_at {order}, c.call_id {order} LIMIT ? OFFSET ?"
    return [_callback_row(r) for r in _rows(conn.execute(sql, [*args, limit, offset]))]


def get_callback(conn, call_id: int) -> Row | None:
    row = _row(conn.execute(_CALLBACK_SELECT + " WHERE c.call_id = ?", (call_id,)))
    return _callback_row(row) if row is not None else None


# --- alarms (ACD15) ------------------------------------------------------------------------------

def raise_alarm(conn, name: str, subject: str, detail: str) -> bool:
    """Opens the alarm unless it is open already (then only its detail follows); True if new. A
    detail that is a firmware.message.Message keeps its code and parameters too (for wording)."""
    params = getattr(detail, "params", None)
    coded = json.dumps({"code": detail.code, "params": params}) if params is not None else None  # type: ignore[attr-defined]
    updated = conn.execute("UPDATE alarms SET detail = ?, detail_params = ? "
                           "WHERE name = ? AND subject = ? AND cleared_at IS NULL",
                           (str(detail), coded, name, subject)).rowcount
    if updated:
        return False
    conn.execute("INSERT INTO alarms (name, subject, detail, detail_params, raised_at) VALUES (?, ?, ?, ?, ?)",
                 (name, subject, str(detail), coded, time.time()))
    return True


def clear_alarm(conn, name: str, subject: str, detail: str = "") -> bool:
    return conn.execute(
        "UPDATE alarms SET cleared_at = ?, cleared_detail = ?, next_attempt_at = 0 "
        "WHERE name = ? AND subject = ? AND cleared_at IS NULL", (time.time(), detail, name, subject)).rowcount > 0


def open_alarms(conn) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM alarms WHERE cleared_at IS NULL ORDER BY raised_at, id"))


def list_alarms(conn, limit: int = 200) -> list[Row]:
    return _rows(conn.execute("SELECT * FROM alarms ORDER BY cleared_at IS NOT NULL, raised_at DESC, id DESC "
                              "LIMIT ?", (limit,)))


def alarm_notices_due(conn, now: float) -> list[Row]:
    """Alarms with a notice not yet delivered whose next attempt is due, oldest first."""
    return _rows(conn.execute(
        "SELECT * FROM alarms WHERE (raise_sent_at IS NULL OR (cleared_at IS NOT NULL AND clear_sent_at IS NULL)) "
        "AND next_attempt_at <= ? ORDER BY raised_at, id", (now,)))


def alarm_notice_sent(conn, alarm_id: int, kind: str, now: float) -> None:
    column = {"raised": "raise_sent_at", "cleared": "clear_sent_at"}[kind]
    conn.execute(f"UPDATE alarms SET {column} = ?, attempts = 0, last_error = '' WHERE id = ?", (now, alarm_id))


def alarm_notice_failed(conn, alarm_id: int, error: str, next_attempt_at: float) -> None:
    conn.execute("UPDATE alarms SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                 (error[:500], next_attempt_at, alarm_id))


# --- transactions -----------------------------------------------------------------------------

class transaction:
    """`with transaction(conn):` BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error; nests as a no-op."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.outer = False

    def __enter__(self):
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False


# --- added for the web UI -----------------------------------------------------------------------

def token_identity(conn, token: str) -> Row | None:
    """The token's id, role and label (for the audit log), or None for an unknown token."""
    return _row(conn.execute(
        "SELECT id, role, label FROM api_tokens WHERE token_hash = ?", (_token_hash(token),)))


def count_calls(conn, *, outcome: str | None = None, queue_id: int | None = None, agent_id: int | None = None,
                since: float | None = None, until: float | None = None, caller: str | None = None,
                disposition: str | None = None) -> int:
    """How many calls list_calls would find without limit and offset (for paging)."""
    where, args = _call_filters(outcome, queue_id, agent_id, since, until, caller, disposition)
    sql = "SELECT COUNT(*) FROM calls c" + where
    return conn.execute(sql, args).fetchone()[0]


def kept_recordings(conn, limit: int) -> list[Row]:
    """Finished recordings whose file retention has not removed, oldest first."""
    return _rows(conn.execute(
        "SELECT id, path, started_at, bytes FROM recordings WHERE removed_at IS NULL "
        "AND duration_seconds IS NOT NULL ORDER BY started_at, id LIMIT ?", (limit,)))


def mark_recording_removed(conn, recording_id: int, at: float, reason: str) -> None:
    conn.execute("UPDATE recordings SET removed_at = ?, removed_reason = ? WHERE id = ?", (at, reason, recording_id))
