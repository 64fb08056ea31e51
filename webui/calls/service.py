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
from firmware.message import Message
from webui import engine
from webui.access import Identity
from webui.api.schema import DayRange
from webui.calls.schema import CallDisposition, CallFilters
from webui.db import get_db
from webui.fields import FieldError
from webui.service import Data, Row
from webui.settings.service import dispositions
from webui.validation import read

def _midnight(day: str | None, name: str) -> float | None:
    """Midnight of a YYYY-MM-DD day in the box's local time, as epoch seconds."""
    if day is None:
        return None
    try:
        return datetime.strptime(day, "%Y-%m-%d").timestamp()
    except ValueError:
        raise FieldError(name, "is not a valid date") from None


def _midnight_after(day: str | None, name: str) -> float | None:
    """The midnight after a YYYY-MM-DD day: `to` names the last day shown."""
    start = _midnight(day, name)
    return None if start is None else (datetime.fromtimestamp(start) + timedelta(days=1)).timestamp()


def day_window(args: Mapping[str, Any], now: float) -> tuple[float, float]:
    """`from` and `to` (days, box local time) as [since, until); today up to now when left out."""
    days = read(DayRange, args)
    since = _midnight(days.from_, "from")
    if since is None:
        since = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    until = _midnight_after(days.to, "to")
    until = now if until is None else min(until, now)
    if until <= since:
        raise FieldError("to", "must not be before from (nor from in the future)")
    return since, until


def call_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The list_calls filters and page from query parameters (the page pages by its own `page`)."""
    filters = read(CallFilters, args)
    return {"outcome": filters.outcome, "queue_id": filters.queue_id, "agent_id": filters.agent_id,
            "caller": filters.caller, "since": _midnight(filters.from_, "from"),
            "until": _midnight_after(filters.to, "to"), "disposition": filters.disposition}


def call_page(args: Mapping[str, Any]) -> dict[str, int]:
    paging = read(CallFilters, args)
    return {"limit": paging.limit, "offset": paging.offset}


def visible_to(identity: Identity, filters: dict[str, Any]) -> dict[str, Any]:
    """The list's filters for this reader: an agent sees only the calls they answered (issue 12,
    item 10); an agent-role user or token without an agent sees none (no row has agent 0)."""
    if identity.at_least("supervisor"):
        return filters
    return {**filters, "agent_id": identity.agent_id if identity.agent_id is not None else 0}


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



def classify_call(conn, actor: str, call_id: int, data: Data, *, by_agent: int | None) -> Row:
    """Sets how an answered call went (again: replaces it); `by_agent` is the classifying user's
    agent, if any. The engine classifies it (503 while it is down)."""
    call = require_call(conn, call_id)
    if call["answered_at"] is None or call["agent_id"] is None:
        raise Conflict(Message("call {call_id} was not answered by an agent: there is nothing to classify", call_id=call_id))
    body = read(CallDisposition, data)
    codes = tuple(d["code"] for d in dispositions(conn))
    if body.disposition not in codes:
        raise FieldError("disposition", "must be one of {choices}", choices=", ".join(codes))
    code, note = body.disposition, body.note or ""
    # The engine writes the call's record (as for a phone's *46N) and ends a wrap-up that waited.
    engine.command("call_classify", call_id=call_id, disposition=code, note=note, by_agent=by_agent)
    queries.audit(conn, actor, "call.classify", f"call={call_id} disposition={code}")
    return queries.get_call(conn, call_id)

