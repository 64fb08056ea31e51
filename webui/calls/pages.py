"""The call records (CDRs): the filtered, paged list, classifying a call from the pages (ACD12) and
the recordings' audio."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, Conflict

from firmware.store import queries
from firmware.message import Message
from webui import fields
from webui.access import Identity, actor, current_identity, requires
from webui.calls import service
from webui.calls.service import call_filters, may_classify, recording_audio, visible_to
from webui.db import get_db
from webui.i18n import word
from webui.i18n.words import label
from webui.settings import service as settings_service

bp = Blueprint("calls", __name__, template_folder="templates")


def _classifiable(identity: Identity, rows: list[dict]) -> set[int]:
    """The listed calls this user gets a classify form for: answered by an agent, and theirs to classify."""
    return {c["id"] for c in rows if c["answered_at"] is not None and c["agent_id"] is not None
            and may_classify(identity, c)}


@bp.get("/calls")
@requires("agent")
def calls():
    conn = get_db()
    filters = visible_to(current_identity(), call_filters(request.args))
    page = fields.integer(request.args, "page", required=False, minimum=1, maximum=10**9) or 1
    size = current_app.config["CALLS_PAGE_SIZE"]
    rows = queries.list_calls(conn, **filters, limit=size, offset=(page - 1) * size)
    total = queries.count_calls(conn, **filters)
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    dispositions = settings_service.dispositions(conn)
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
        abort(403, Message("an agent classifies only the calls they answered"))
    try:
        classified = service.classify_call(conn, actor(), call_id, request.form, by_agent=identity.agent_id)
    except (BadRequest, Conflict) as exc:     # a bad field, or a call nobody answered
        flash(word(exc.description), "error")
    else:
        labels = {d["code"]: d["label"] for d in settings_service.dispositions(conn)}
        code = classified["disposition"]
        flash(_("Call %(call)s classified as %(disposition)s.", call=call_id,
                disposition=label(labels.get(code, code), "disposition")))
    return redirect(_local_path(request.form.get("next")))


@bp.get("/recordings/<id:recording_id>/audio")
@requires("agent")
def recording_download(recording_id: int):
    return recording_audio(recording_id, download=True)
