"""The wallboard's figures for the web: the settings (box setting `wallboard`), the queues'
service-level thresholds and members from the store, the day's event log folded once per process
(`DayLog`, fed only the rows written since it last looked), and the engine's live status."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from typing import Any

from werkzeug.exceptions import NotFound

from firmware.stats import wallboard
from firmware.stats.wallboard import DayLog, WallboardSettings, WallboardSettingsError, parse_settings
from firmware.store import events, queries, wallboard_tokens
from webui import fields
from webui.fields import FieldError
from webui.service import change

SETTING_KEY = "wallboard"
log = logging.getLogger(__name__)


def settings(conn: sqlite3.Connection) -> WallboardSettings:
    raw = queries.get_setting(conn, SETTING_KEY)
    try:
        return parse_settings(json.loads(raw) if raw else None)
    except (ValueError, WallboardSettingsError) as exc:
        log.error("the stored wallboard setting is unreadable, defaults apply: %s", exc)
        return WallboardSettings()


def update_settings(conn: sqlite3.Connection, actor: str, value: Any) -> WallboardSettings:
    if isinstance(value, dict):     # a known field given as null counts as left out (webui.fields)
        value = {k: v for k, v in value.items() if v is not None or k not in wallboard.SETTING_FIELDS}
    try:
        parsed = parse_settings(value)
    except WallboardSettingsError as exc:
        raise FieldError(exc.field, str(exc).split(": ", 1)[1]) from None
    stored = json.dumps(parsed.as_json(), sort_keys=True)
    with change(conn, {}):
        queries.set_setting(conn, SETTING_KEY, stored)
        queries.audit(conn, actor, "wallboard.settings", stored)
    return parsed


def sl_targets(queues: list[dict]) -> dict[int, float]:
    """Each queue's service-level threshold: its alarm rule's `sl_target` (the ACD's default 20 s)."""
    targets = {}
    for queue in queues:
        alarms = (queue.get("settings") or {}).get("alarms") or {}
        target = alarms.get("sl_target", wallboard.DEFAULT_SL_TARGET)
        targets[queue["id"]] = float(target) if isinstance(target, int | float) else wallboard.DEFAULT_SL_TARGET
    return targets


def members(conn: sqlite3.Connection) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for queue_id, agent_id in conn.execute("SELECT m.queue_id, m.agent_id FROM queue_members m "
                                           "JOIN agents a ON a.id = m.agent_id WHERE a.deactivated_at IS NULL"):
        found.setdefault(queue_id, []).append(agent_id)
    return found


class _Today:
    """The day's log of this process: rebuilt when the day or what it counts by changes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.day: DayLog | None = None

    def board(self, conn: sqlite3.Connection, status: dict | None, now: float) -> dict[str, Any]:
        chosen = settings(conn)
        queues = queries.list_queues(conn)
        targets = sl_targets(queues)
        start = wallboard.day_start(now, chosen.day_starts_at)
        if status is None:      # the engine is down: the day's figures still stand, nothing is live
            status = {"queues": [{"id": q["id"], "name": q["name"], "waiting": []} for q in queues],
                      "agents": [], "calls": []}
        with self.lock:
            key = (start, tuple(sorted(targets.items())), chosen.short_abandon_seconds)
            if key != self.key or self.day is None:
                self.key, self.day = key, DayLog(targets, chosen.short_abandon_seconds)
                for agent in status.get("agents", []):      # "since" of an agent idle since yesterday
                    row = conn.execute("SELECT max(at) FROM events WHERE agent_id = ? AND at < ?",
                                       (agent["id"], start)).fetchone()
                    if row[0] is not None:
                        self.day.agent_since[agent["id"]] = row[0]
            self.day.add(events.between(conn, start, now + 60, after_id=self.day.last_id, limit=-1))
            board = wallboard.figures(self.day, status, members(conn), chosen, now)
        board["day_started_at"] = start
        return board


_days: dict[str, _Today] = {}
_days_lock = threading.Lock()


def board(conn: sqlite3.Connection, database: str, status: dict | None, now: float | None = None) -> dict[str, Any]:
    """The wallboard now; `database` names the store whose day this process keeps (one on a box)."""
    with _days_lock:
        today = _days.setdefault(database, _Today())
    return today.board(conn, status, time.time() if now is None else now)


# --- kiosk tokens -----------------------------------------------------------------------------------

def create_token(conn: sqlite3.Connection, actor: str, data) -> dict[str, Any]:
    label = fields.text(data, "label", required=False, max_length=100) or ""
    with change(conn, {}):
        token_id, token = wallboard_tokens.create(conn, label, actor)
        queries.audit(conn, actor, "wallboard.token.create", f"id={token_id} label={label}")
    return {**token_row(conn, token_id), "token": token}


def token_row(conn: sqlite3.Connection, token_id: int) -> dict[str, Any]:
    row = wallboard_tokens.get(conn, token_id)
    if row is None:
        raise NotFound(f"no wallboard token {token_id}")
    return row


def revoke_token(conn: sqlite3.Connection, actor: str, token_id: int) -> None:
    token_row(conn, token_id)
    with change(conn, {}):
        wallboard_tokens.revoke(conn, token_id)
        queries.audit(conn, actor, "wallboard.token.revoke", f"id={token_id}")
