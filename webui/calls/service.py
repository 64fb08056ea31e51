"""The calls' list filters, who may classify a call and the classification itself (ACD12), and a
recording's audio: shared by the calls page and the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from flask import current_app, send_file
from werkzeug.exceptions import Conflict, NotFound

from firmware.store import queries
from firmware.message import Message, N_
from webui import engine, fields
from webui.access import Identity
from webui.api.schema import DATE_PATTERN
from webui.db import get_db
from webui.fields import FieldError
from webui.service import Data, Row
from webui.settings.service import dispositions

# Days from 1970 to 2999: the box's clock never leaves them, and a day after 9999-12-31 (asked for
# as the end of `to`) does not exist in Python's calendar (once a 500).
DATE = dict(max_length=10, pattern=DATE_PATTERN, hint=N_("must be a date YYYY-MM-DD from 1970 to 2999"))


def _day_start(args: Mapping[str, Any], name: str) -> float | None:
    """Midnight of a YYYY-MM-DD day in the box's local time, as epoch seconds."""
    value = fields.text(args, name, required=False, **DATE)
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").timestamp()
    except ValueError:
        raise FieldError(name, "is not a valid date") from None


def _day_end(args: Mapping[str, Any], name: str) -> float | None:
    """The midnight after a YYYY-MM-DD day: `to` names the last day shown."""
    day = _day_start(args, name)
    return None if day is None else (datetime.fromtimestamp(day) + timedelta(days=1)).timestamp()


def day_window(args: Mapping[str, Any], now: float) -> tuple[float, float]:
    """`from` and `to` (days, box local time) as [since, until); today up to now when left out."""
    since = _day_start(args, "from")
    if since is None:
        since = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    until = _day_end(args, "to")
    until = now if until is None else min(until, now)
    if until <= since:
        raise FieldError("to", "must not be before from (nor from in the future)")
    return since, until


def call_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The list_calls filters from query parameters (shared by the page and the API)."""
    outcome = fields.text(args, "outcome", required=False)
    if outcome is not None and outcome not in queries.OUTCOMES:
        raise FieldError("outcome", "must be one of {choices}", choices=", ".join(queries.OUTCOMES))
    until = _day_end(args, "to")
    return {
        "outcome": outcome,
        "queue_id": fields.identifier(args, "queue_id", required=False),
        "agent_id": fields.identifier(args, "agent_id", required=False),
        "caller": fields.text(args, "caller", required=False, max_length=64),
        "since": _day_start(args, "from"),
        "until": until,
        "disposition": fields.text(args, "disposition", required=False, max_length=40),
    }


def may_classify(identity: Identity, call: Mapping[str, Any]) -> bool:
    """An agent classifies the calls they answered, a supervisor or admin any (pages and API alike)."""
    return identity.at_least("supervisor") or (identity.agent_id is not None
                                               and call["agent_id"] == identity.agent_id)


def require_call(conn, call_id: int) -> Row:
    """The call's record, or 404 (API and pages alike)."""
    call = queries.get_call(conn, call_id)
    if call is None:
        raise NotFound(Message("no call {call_id}", call_id=call_id))
    return call


def require_recording(conn, recording_id: int) -> Row:
    """The recording's row, or 404."""
    recording = queries.get_recording(conn, recording_id)
    if recording is None:
        raise NotFound(Message("no recording {recording_id}", recording_id=recording_id))
    return recording


def recording_audio(recording_id: int, *, download: bool):
    recording = require_recording(get_db(), recording_id)
    root = Path(current_app.config["DATA_DIR"]).resolve()
    target = (root / recording["path"]).resolve()
    # The path comes from the database, yet a file outside the data directory is never served.
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound(Message("the audio of recording {recording_id} is missing", recording_id=recording_id))
    return send_file(target, mimetype="audio/wav", as_attachment=download,
                     download_name=f"call-{recording['call_id']}-recording-{recording_id}.wav")



DISPOSITION_NOTE = dict(max_length=500, multiline=True)


def classify_call(conn, actor: str, call_id: int, data: Data, *, by_agent: int | None) -> Row:
    """Sets how an answered call went (again: replaces it); `by_agent` is the classifying user's
    agent, if any. The engine classifies it (503 while it is down)."""
    call = require_call(conn, call_id)
    if call["answered_at"] is None or call["agent_id"] is None:
        raise Conflict(Message("call {call_id} was not answered by an agent: there is nothing to classify", call_id=call_id))
    code = fields.choice(data, "disposition", tuple(d["code"] for d in dispositions(conn)))
    note = fields.text(data, "note", required=False, **DISPOSITION_NOTE) or ""
    # The engine writes the call's record (as for a phone's *46N) and ends a wrap-up that waited.
    engine.command("call_classify", call_id=call_id, disposition=code, note=note, by_agent=by_agent)
    queries.audit(conn, actor, "call.classify", f"call={call_id} disposition={code}")
    return queries.get_call(conn, call_id)

