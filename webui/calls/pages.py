"""The call records (CDRs): the filtered, paged list, classifying a call from the pages (ACD12) and
the recordings' audio."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from firmware.store import queries
from webui import actions, fields
from webui.access import Identity, actor, current_identity, requires
from webui.db import get_db
from webui.fields import FieldError

bp = Blueprint("calls", __name__)

# Days from 1970 to 2999: the box's clock never leaves them, and a day after 9999-12-31 (asked for
# as the end of `to`) does not exist in Python's calendar (once a 500).
DATE_PATTERN = r"(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}"
DATE = dict(max_length=10, pattern=DATE_PATTERN, hint="must be a date YYYY-MM-DD from 1970 to 2999")


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
        raise FieldError("outcome", f"must be one of {', '.join(queries.OUTCOMES)}")
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


def _classifiable(identity: Identity, rows: list[dict]) -> set[int]:
    """The listed calls this user gets a classify form for: answered by an agent, and theirs to classify."""
    return {c["id"] for c in rows if c["answered_at"] is not None and c["agent_id"] is not None
            and may_classify(identity, c)}


@bp.get("/calls")
@requires("agent")
def calls():
    conn = get_db()
    filters = call_filters(request.args)
    page = fields.integer(request.args, "page", required=False, minimum=1, maximum=10**9) or 1
    size = current_app.config["CALLS_PAGE_SIZE"]
    rows = queries.list_calls(conn, **filters, limit=size, offset=(page - 1) * size)
    total = queries.count_calls(conn, **filters)
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    dispositions = actions.dispositions(conn)
    return render_template(
        "calls/list.html", calls=rows, total=total, page=page, pages=max(1, -(-total // size)),
        page_url=lambda p: url_for("calls.calls", **kept, page=p),
        args=request.args, outcomes=queries.OUTCOMES,
        queues=queries.list_queues(conn), agents=queries.list_agents(conn, inactive=True),
        dispositions=dispositions, labels={d["code"]: d["label"] for d in dispositions},
        classifiable=_classifiable(current_identity(), rows),
        here=request.full_path.rstrip("?"),
    )


def _local_path(target: str | None) -> str:
    """Where a form asked to go back to, if it is a path on this box; else the calls page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("calls.calls")


@bp.post("/calls/<id:call_id>/disposition")
@requires("agent")
def classify(call_id: int):
    """Classifies a call from the calls page or the live board, then back there with what happened."""
    conn = get_db()
    identity = current_identity()
    call = queries.get_call(conn, call_id)
    if call is not None and not may_classify(identity, call):
        abort(403, "an agent classifies only the calls they answered")
    try:
        classified = actions.classify_call(conn, actor(), call_id, request.form, by_agent=identity.agent_id)
    except (BadRequest, Conflict) as exc:     # a bad field, or a call nobody answered
        flash(exc.description, "error")
    else:
        labels = {d["code"]: d["label"] for d in actions.dispositions(conn)}
        code = classified["disposition"]
        flash(f"Call {call_id} classified as {labels.get(code, code)}.")
    return redirect(_local_path(request.form.get("next")))


@bp.get("/recordings/<id:recording_id>/audio")
@requires("agent")
def recording_download(recording_id: int):
    return recording_audio(recording_id, download=True)


def recording_audio(recording_id: int, *, download: bool):
    recording = queries.get_recording(get_db(), recording_id)
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    root = Path(current_app.config["DATA_DIR"]).resolve()
    target = (root / recording["path"]).resolve()
    # The path comes from the database, yet a file outside the data directory is never served.
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound(f"the audio of recording {recording_id} is missing")
    return send_file(target, mimetype="audio/wav", as_attachment=download,
                     download_name=f"call-{recording['call_id']}-recording-{recording_id}.wav")
