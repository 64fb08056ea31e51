"""The event log (migration 0019): append-only, what happens to calls in queues and to agents.

The engine appends (firmware/engine/call_record.py for calls, Configuration.keep_activity for
agents); the web reads time ranges and pages of it. Every event has `at` (epoch seconds), and
call events a `call_id` and `queue_id`, agent events an `agent_id`. What `data` holds:

| event      | who             | data                                                                   |
|------------|-----------------|------------------------------------------------------------------------|
| enter      | call, queue     | caller, caller_input, position (1 = first in line)                     |
| ring       | call, agent     | -                                                                      |
| noanswer   | call, agent     | ring_seconds, reason (timeout, busy, rejected, unreachable), sip_status |
| answer     | call, agent     | wait_seconds, ring_seconds, original_position                          |
| abandon    | call            | position, original_position, wait_seconds                              |
| complete   | call, agent     | by (agent or caller), wait_seconds, talk_seconds, original_position    |
| transfer   | call, agent     | to, wait_seconds, talk_seconds, original_position                      |
| overflow   | call            | reason (the condition), destination (kind), target, position,          |
|            |                 | original_position, wait_seconds                                        |
| callback   | call            | forced, position, original_position, wait_seconds                      |
| fail       | call            | cause, answered (the engine died with the call)                        |
| login      | agent           | -           | logout  | agent | reason ("" or engine-restart)        |
| join/leave | agent, queue    | -  (the agent is logged in to / out of that queue)                     |
| pause      | agent           | reason      | unpause | agent | reason (of the pause that ended)     |
| wrapup     | agent           | -           | wrapup-end | agent | -                                 |

Waits count from the call's entry into its first queue (`enter`), as the CDR's wait does.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

CALL_EVENTS = ("enter", "ring", "noanswer", "answer", "abandon", "complete", "transfer", "overflow", "callback",
               "fail")
AGENT_EVENTS = ("login", "logout", "join", "leave", "pause", "unpause", "wrapup", "wrapup-end")
EVENTS = CALL_EVENTS + AGENT_EVENTS

PAGE_MAX = 10_000


def append(conn: sqlite3.Connection, event: str, *, call_id: int | None = None, queue_id: int | None = None,
           agent_id: int | None = None, at: float | None = None, **data: Any) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    conn.execute("INSERT INTO events (at, event, call_id, queue_id, agent_id, data) VALUES (?, ?, ?, ?, ?, ?)",
                 (time.time() if at is None else at, event, call_id, queue_id, agent_id,
                  json.dumps(data, separators=(",", ":"), sort_keys=True)))


def _decoded(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["data"] = json.loads(item["data"])
    return item


def between(conn: sqlite3.Connection, since: float, until: float, *, after_id: int = 0,
            limit: int = PAGE_MAX) -> list[dict[str, Any]]:
    """Events with since <= at < until and id > after_id, in the order written, at most `limit`."""
    rows = conn.execute("SELECT id, at, event, call_id, queue_id, agent_id, data FROM events "
                        "WHERE at >= ? AND at < ? AND id > ? ORDER BY id LIMIT ?",
                        (since, until, after_id, limit))
    return [_decoded(r) for r in rows]


def of_call(conn: sqlite3.Connection, call_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, at, event, call_id, queue_id, agent_id, data FROM events WHERE call_id = ? "
                        "ORDER BY id", (call_id,))
    return [_decoded(r) for r in rows]


def last_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def close_lost_calls(conn: sqlite3.Connection, call_ids: list[int], cause: str, at: float) -> None:
    """At start: calls the previous engine died with end in the log too (`fail`), so no report
    counts them as still waiting or talking."""
    for call_id in call_ids:
        row = conn.execute("SELECT queue_id, agent_id, answered_at FROM calls WHERE id = ?", (call_id,)).fetchone()
        if row is None or row["queue_id"] is None:
            continue
        append(conn, "fail", call_id=call_id, queue_id=row["queue_id"], agent_id=row["agent_id"], at=at,
               cause=cause, answered=row["answered_at"] is not None)


def close_open_agents(conn: sqlite3.Connection, at: float, reason: str = "engine-restart") -> int:
    """At start: what the previous engine left open for its agents ends at `at`, as it would have:
    wrap-up end, pause end, leaving each queue, logout. The next engine logs them in again (events
    of its own). Returns how many events were written."""
    written = 0
    last = conn.execute(
        "SELECT e.agent_id, e.queue_id, e.event, e.data FROM events e JOIN ("
        " SELECT max(id) AS id FROM events WHERE agent_id IS NOT NULL AND call_id IS NULL GROUP BY agent_id,"
        "  CASE WHEN event IN ('login', 'logout') THEN 'l' WHEN event IN ('pause', 'unpause') THEN 'p'"
        "       WHEN event IN ('wrapup', 'wrapup-end') THEN 'w' ELSE 'q' || queue_id END"
        ") last ON last.id = e.id ORDER BY e.agent_id, e.id").fetchall()
    for wanted, closing in (("wrapup", "wrapup-end"), ("pause", "unpause"), ("join", "leave"), ("login", "logout")):
        for row in last:
            if row["event"] != wanted:
                continue
            data: dict[str, Any] = {}
            if closing == "unpause":
                data["reason"] = json.loads(row["data"]).get("reason", "")
            elif closing == "logout":
                data["reason"] = reason
            append(conn, closing, agent_id=row["agent_id"], queue_id=row["queue_id"] if closing == "leave" else None,
                   at=at, **data)
            written += 1
    return written
