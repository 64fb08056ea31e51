"""The callback list (ACD14): sorted and filtered from the store, with the handler's note, requeue,
call now and cancel. Who may do what: every handler (agent and up) sees the list, writes notes,
requeues a callback nobody answered and calls one now through their own phone; cancelling one, so the
customer is never called back, needs a supervisor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable

from firmware.store import queries
from webui import actions, fields
from webui.access import current_identity, requires
from webui.db import get_db
from webui.fields import FieldError

bp = Blueprint("callbacks", __name__)

COLUMNS = (("arrived", "Arrived"), ("interval", "Wanted"), ("queue", "Queue"), ("caller_input", "Caller input"),
           ("last_handler", "Last handler"), ("status", "Status"), ("log", "Last log"))
SORTS = tuple(name for name, _ in COLUMNS)
LIST_PARAMETERS = ("sort", "order", "queue", "open")
ACTION_ROLES = {"note": "agent", "requeue": "agent", "call": "agent", "cancel": "supervisor"}
DONE = {"note": "Note added", "requeue": "Requeued", "call": "Calling", "cancel": "Cancelled"}


def callback_filters(args: Mapping[str, Any], *, allowed: tuple[str, ...] = LIST_PARAMETERS,
                     open_default: str = "0") -> dict[str, Any]:
    """The list_callbacks arguments from query parameters (shared by the page and the API); a
    parameter the list does not know is refused rather than silently ignored."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise FieldError(unknown[0], f"is not a parameter of the callback list (use {', '.join(allowed)})")
    queue_id = fields.identifier(args, "queue", required=False)
    if queue_id is not None and queries.get_queue(get_db(), queue_id) is None:
        raise FieldError("queue", f"no queue {queue_id}")
    return {
        "sort": fields.choice(args, "sort", SORTS, default="arrived"),
        "descending": fields.choice(args, "order", ("asc", "desc"), default="asc") == "desc",
        "queue_id": queue_id,
        "open_only": fields.choice(args, "open", ("0", "1"), default=open_default) == "1",
    }


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
        may_cancel=identity.at_least(ACTION_ROLES["cancel"]), requeue_statuses=actions.REQUEUE_STATUSES,
        cancel_statuses=actions.CANCEL_STATUSES, call_statuses=actions.CALL_STATUSES,
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
            actions.call_callback_now(get_db(), current_identity(), call_id, request.form)
        else:
            actions.act_on_callback(get_db(), current_identity(), call_id, action, request.form)
    except (BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable) as exc:
        failed = {"call_id": call_id, "text": request.form.get("text", "")}
        return _page(error=f"Callback {call_id}: {exc.description}", status=exc.code, failed=failed)
    flash(f"{DONE[action]}: callback {call_id}.")
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
