"""The callback list (ACD14): sorted and filtered from the store, with the handler's note, requeue,
call now and cancel. Who may do what: every handler (agent and up) sees the list, writes notes,
requeues a callback nobody answered and calls one now through their own phone; cancelling one, so the
customer is never called back, needs a supervisor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable

from firmware.message import N_
from firmware.store import queries
from webui.access import current_identity, requires
from webui.callbacks import service
from webui.callbacks.service import ACTION_ROLES, LIST_PARAMETERS, callback_filters
from webui.db import get_db
from webui.i18n import word

bp = Blueprint("callbacks", __name__, template_folder="templates")

COLUMNS = (("arrived", N_("Arrived")), ("interval", N_("Wanted")), ("queue", N_("Queue")),
           ("caller_input", N_("Caller input")), ("last_handler", N_("Last handler")), ("status", N_("Status")),
           ("log", N_("Last log")))
DONE = {"note": N_("Note added: callback %(call)s."), "requeue": N_("Requeued: callback %(call)s."),
        "call": N_("Calling: callback %(call)s."), "cancel": N_("Cancelled: callback %(call)s.")}


def _list_args(source: Mapping[str, Any]) -> MultiDict:
    """The list's own parameters (sort, filters) to come back to after a form; still text from a
    form, so they are read as such."""
    return MultiDict({k: source[k] for k in LIST_PARAMETERS if source.get(k)})


def _page(*, error: str | None = None, status: int = 200, failed: dict | None = None):
    conn = get_db()
    args = _list_args(request.args if request.method == "GET" else request.form)
    filters = callback_filters(args, open_default="1")
    rows = queries.list_callbacks(conn, **filters)
    identity = current_identity()

    def sort_url(column: str) -> str:
        again = column == filters["sort"] and not filters["descending"]
        return url_for("callbacks.callbacks", **{**args.to_dict(), "sort": column, "order": "desc" if again else "asc"})

    return render_template(
        "callbacks/list.html", callbacks=rows, columns=COLUMNS, filters=filters, args=args, sort_url=sort_url,
        queues=queries.list_queues(conn), error=error, failed=failed or {},
        may_cancel=identity.at_least(ACTION_ROLES["cancel"]), requeue_statuses=service.REQUEUE_STATUSES,
        cancel_statuses=service.CANCEL_STATUSES, call_statuses=service.CALL_STATUSES,
        # the page calls through the user's own phone; naming another agent is for the API
        may_call=identity.agent_id is not None,
    ), status


@bp.get("/callbacks")
@requires("agent")
def callbacks():
    return _page()


def _act(call_id: int, action: str):
    """Runs a handler's action from a row's form: back to the same list on success; on a mistake the
    list again with the message and the note as typed, in that row."""
    try:
        if action == "call":
            service.call_callback_now(get_db(), current_identity(), call_id, request.form)
        else:
            service.act_on_callback(get_db(), current_identity(), call_id, action, request.form)
    except (BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable) as exc:
        failed = {"call_id": call_id, "text": request.form.get("text", "")}
        return _page(error=_("Callback %(call)s: %(problem)s", call=call_id, problem=word(exc.description)),
                     status=exc.code, failed=failed)
    flash(_(DONE[action], call=call_id))
    return redirect(url_for("callbacks.callbacks", **_list_args(request.form).to_dict()))


@bp.post("/callbacks/<id:call_id>/note")
@requires(ACTION_ROLES["note"])
def note(call_id: int):
    return _act(call_id, "note")


@bp.post("/callbacks/<id:call_id>/requeue")
@requires(ACTION_ROLES["requeue"])
def requeue(call_id: int):
    return _act(call_id, "requeue")


@bp.post("/callbacks/<id:call_id>/call")
@requires(ACTION_ROLES["call"])
def call(call_id: int):
    return _act(call_id, "call")


@bp.post("/callbacks/<id:call_id>/cancel")
@requires(ACTION_ROLES["cancel"])
def cancel(call_id: int):
    return _act(call_id, "cancel")
