"""The SMS log's queries (tables of store migration 0021): queue a message, what is due, parts sent
and their delivery reports, incoming fragments joined, and the list the web shows."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from firmware.sms import pdu
from firmware.store.queries import Row, transaction

OUT_STATUSES = ("queued", "sent", "delivered", "undelivered", "failed")
STATUSES = OUT_STATUSES + ("received",)
PURPOSES = ("api", "web", "callback", "alarm")
FRAGMENT_DAYS = 3          # parts of a message in whose others never came are forgotten after this


def _row(cursor: sqlite3.Cursor) -> Row | None:
    found = cursor.fetchone()
    return dict(found) if found is not None else None


def queue_message(conn, number: str, text: str, *, purpose: str, author: str = "", call_id: int | None = None,
                  now: float | None = None) -> Row:
    """A message out, queued for the SMS service; ValueError if it cannot be an SMS (too long)."""
    encoding, parts = pdu.split_text(text)
    now = time.time() if now is None else now
    cursor = conn.execute(
        "INSERT INTO sms_messages (direction, number, text, status, purpose, author, call_id, encoding, parts, "
        "created_at, next_attempt_at) VALUES ('out', ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
        (number, text, purpose, author, call_id, encoding, len(parts), now, now))
    conn.execute("UPDATE sms_messages SET concat_reference = id % 256 WHERE id = ?", (cursor.lastrowid,))
    message = get_message(conn, cursor.lastrowid)
    assert message is not None
    return message


def get_message(conn, message_id: int) -> Row | None:
    return _row(conn.execute("SELECT * FROM sms_messages WHERE id = ?", (message_id,)))


def _filters(direction: str | None, status: str | None, number: str | None) -> tuple[str, list[Any]]:
    where, args = [], []
    if direction:
        where.append("direction = ?")
        args.append(direction)
    if status:
        where.append("status = ?")
        args.append(status)
    if number:
        where.append("instr(number, ?) > 0")
        args.append(number)
    return (" WHERE " + " AND ".join(where)) if where else "", args


def list_messages(conn, *, direction: str | None = None, status: str | None = None, number: str | None = None,
                  limit: int = 50, offset: int = 0) -> list[Row]:
    where, args = _filters(direction, status, number)
    return [dict(r) for r in conn.execute(f"SELECT * FROM sms_messages{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                          (*args, limit, offset))]


def count_messages(conn, *, direction: str | None = None, status: str | None = None,
                   number: str | None = None) -> int:
    where, args = _filters(direction, status, number)
    return conn.execute(f"SELECT COUNT(*) FROM sms_messages{where}", args).fetchone()[0]


def due_messages(conn, now: float, limit: int = 20) -> list[Row]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM sms_messages WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (now, limit))]


def sent_part_count(conn, message_id: int) -> int:
    return conn.execute("SELECT COUNT(*) FROM sms_parts WHERE message_id = ?", (message_id,)).fetchone()[0]


def part_sent(conn, message_id: int, part: int, reference: int, now: float) -> None:
    conn.execute("INSERT OR REPLACE INTO sms_parts (message_id, part, reference, sent_at) VALUES (?, ?, ?, ?)",
                 (message_id, part, reference, now))


def message_sent(conn, message_id: int, now: float, *, transport: str, sender: str, attempts: int) -> None:
    conn.execute("UPDATE sms_messages SET status = 'sent', sent_at = ?, transport = ?, sender = ?, attempts = ?, "
                 "last_error = '' WHERE id = ?", (now, transport, sender, attempts, message_id))


def attempt_failed(conn, message_id: int, error: str, *, transport: str, attempts: int,
                   next_attempt_at: float | None) -> None:
    """A failed attempt: queued again for `next_attempt_at`, or failed for good when None."""
    conn.execute("UPDATE sms_messages SET status = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), "
                 "last_error = ?, transport = ? WHERE id = ?",
                 ("queued" if next_attempt_at is not None else "failed", attempts, next_attempt_at, error[:500],
                  transport, message_id))


def _same_number(a: str, b: str) -> bool:
    """A report names the recipient as the network writes it: +46701234567, 46701234567, 0701234567."""
    digits_a, digits_b = a.lstrip("+"), b.lstrip("+")
    tail = min(len(digits_a), len(digits_b), 9)
    return tail > 0 and digits_a[-tail:] == digits_b[-tail:]


def record_report(conn, reference: int, recipient: str, status: int, outcome: str, now: float) -> int | None:
    """A delivery report on the part with TP-MR `reference` last sent to `recipient` (TP-MR runs
    0-255 and wraps: the newest unreported one is meant). Returns the message's id, or None."""
    candidates = conn.execute(
        "SELECT p.message_id, p.part, m.number FROM sms_parts p JOIN sms_messages m ON m.id = p.message_id "
        "WHERE p.reference = ? AND p.reported_at IS NULL ORDER BY p.sent_at DESC, p.message_id DESC LIMIT 20",
        (reference & 0xFF,)).fetchall()
    match = next((c for c in candidates if _same_number(c["number"], recipient) or not recipient), None)
    if match is None:
        return None
    message_id = match["message_id"]
    with transaction(conn):
        if outcome != "pending":
            conn.execute("UPDATE sms_parts SET report_status = ?, reported_at = ? WHERE message_id = ? AND part = ?",
                         (status, now, message_id, match["part"]))
        else:
            conn.execute("UPDATE sms_parts SET report_status = ? WHERE message_id = ? AND part = ?",
                         (status, message_id, match["part"]))
        message = get_message(conn, message_id)
        assert message is not None
        parts = [dict(r) for r in conn.execute("SELECT * FROM sms_parts WHERE message_id = ?", (message_id,))]
        reported = [p for p in parts if p["reported_at"] is not None]
        new_status = message["status"]
        if outcome == "failed":
            new_status = "undelivered"
        elif message["status"] == "sent" and len(reported) == message["parts"] and \
                all(p["report_status"] is not None and p["report_status"] < 0x20 for p in reported):
            new_status = "delivered"
        conn.execute("UPDATE sms_messages SET status = ?, report_status = ?, reported_at = ? WHERE id = ?",
                     (new_status, status, now, message_id))
    return message_id


def store_incoming(conn, sender: str, text: str, encoding: str, parts: int, now: float) -> Row:
    cursor = conn.execute(
        "INSERT INTO sms_messages (direction, number, text, status, encoding, parts, created_at, sent_at) "
        "VALUES ('in', ?, ?, 'received', ?, ?, ?, ?)", (sender, text, encoding, parts, now, now))
    message = get_message(conn, cursor.lastrowid)
    assert message is not None
    return message


def add_fragment(conn, message: pdu.Deliver, now: float) -> Row | None:
    """One part of a concatenated message in; the whole message stored once every part is there
    (returned), else None."""
    c = message.concatenation
    assert c is not None
    with transaction(conn):
        conn.execute("DELETE FROM sms_fragments WHERE received_at < ?", (now - FRAGMENT_DAYS * 86400,))
        conn.execute("INSERT OR REPLACE INTO sms_fragments VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (message.sender, c.reference, c.total, c.sequence, message.text, message.encoding, now))
        key = (message.sender, c.reference, c.total)
        rows = conn.execute("SELECT sequence, text, encoding FROM sms_fragments WHERE sender = ? AND reference = ? "
                            "AND total = ? ORDER BY sequence", key).fetchall()
        if len(rows) < c.total:
            return None
        conn.execute("DELETE FROM sms_fragments WHERE sender = ? AND reference = ? AND total = ?", key)
        encoding = "ucs2" if any(r["encoding"] == "ucs2" for r in rows) else rows[0]["encoding"]
        return store_incoming(conn, message.sender, "".join(r["text"] for r in rows), encoding, c.total, now)
