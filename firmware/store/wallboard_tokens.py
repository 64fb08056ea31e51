"""The wallboard's kiosk tokens (migration 0019): a read-only token in a TV's URL. Only the token's
SHA-256 is stored; the token itself is shown once, when it is made."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from typing import Any


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(conn: sqlite3.Connection, label: str, created_by: str) -> tuple[int, str]:
    """A new token: its id and the token (the only time it is known)."""
    token = secrets.token_urlsafe(32)
    cur = conn.execute("INSERT INTO wallboard_tokens (token_hash, label, created_at, created_by) VALUES (?, ?, ?, ?)",
                       (_hash(token), label, time.time(), created_by))
    assert cur.lastrowid is not None       # an INSERT's row
    return cur.lastrowid, token


def valid(conn: sqlite3.Connection, token: str) -> int | None:
    """The id of a token not revoked, or None."""
    if not token or len(token) > 200:
        return None
    row = conn.execute("SELECT id FROM wallboard_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                       (_hash(token),)).fetchone()
    return row[0] if row else None


def listed(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT id, label, created_at, created_by, revoked_at FROM wallboard_tokens ORDER BY revoked_at IS NOT NULL, id")]


def get(conn: sqlite3.Connection, token_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, label, created_at, created_by, revoked_at FROM wallboard_tokens WHERE id = ?",
                       (token_id,)).fetchone()
    return dict(row) if row else None


def revoke(conn: sqlite3.Connection, token_id: int) -> bool:
    """Revokes the token (kept, for the record); False when there is no such token not yet revoked."""
    cur = conn.execute("UPDATE wallboard_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       (time.time(), token_id))
    return cur.rowcount == 1
