"""The API's callback list (ACD14): list, read, note, requeue, call now, cancel."""

from __future__ import annotations

from flask import jsonify, request

from firmware.store import queries
from webui.access import current_identity, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.callbacks.schema import Callback, CallbackCall, CallbackFilters, CallbackNote
from webui.api.respond import read_body
from webui.callbacks import service
from webui.callbacks.service import ACTION_ROLES, LIST_PARAMETERS, callback_filters
from webui.db import get_db
from webui.format import iso, with_iso_times


CALLBACK_TIMES = ("wanted_from", "wanted_until")


def _callback(row: dict) -> dict:
    row = with_iso_times(row)
    return {**row, **{k: iso(row[k]) for k in CALLBACK_TIMES}}


@bp.get("/callbacks")
@requires("agent")
@doc("The callback list (ACD14) as kept in the store, also while the engine is down", ok=list[Callback],
     query=CallbackFilters)
def list_callbacks():
    filters = callback_filters(request.args, allowed=(*LIST_PARAMETERS, "limit", "offset"))
    rows = queries.list_callbacks(get_db(), **filters)
    return jsonify(items=[_callback(r) for r in rows])


@bp.get("/callbacks/<id:call_id>")
@requires("agent")
@doc("One callback", ok=Callback)
def get_callback(call_id: int):
    return jsonify(_callback(service.require_callback(get_db(), call_id)))


def _callback_action(call_id: int, action: str):
    row = service.act_on_callback(get_db(), current_identity(), call_id, action, read_body())
    return jsonify(_callback(row))


@bp.post("/callbacks/<id:call_id>/note")
@requires(ACTION_ROLES["note"])
@doc("Add the handler's note; a user linked to an agent becomes the last handler (a user with the agent role "
     "must have that link)", ok=Callback, body=CallbackNote, errors=(409, 503))
def note_callback(call_id: int):
    return _callback_action(call_id, "note")


@bp.post("/callbacks/<id:call_id>/requeue")
@requires(ACTION_ROLES["requeue"])
@doc("Put a callback with no answer or failed back on the list, with the handler's note", ok=Callback,
     body=CallbackNote, errors=(409, 503))
def requeue_callback(call_id: int):
    return _callback_action(call_id, "requeue")


@bp.post("/callbacks/<id:call_id>/call")
@requires(ACTION_ROLES["call"])
@doc("Click to call: ring the agent's phone now, then the customer, ahead of the callback's turn, the "
     "queue's cap and the caller's interval (status waiting, no-answer or failed). 409 says why it cannot: no "
     "agent's phone for the user, agent not logged in to the queue or not free", ok=Callback, body=CallbackCall,
     body_required=False, errors=(409, 503))
def call_callback(call_id: int):
    """Click to call; the body ({"agent_id": ...}) may be left out to call through the user's own phone."""
    body = read_body() if request.get_data() else {}
    row = service.call_callback_now(get_db(), current_identity(), call_id, body)
    return jsonify(_callback(row))


@bp.post("/callbacks/<id:call_id>/cancel")
@requires(ACTION_ROLES["cancel"])
@doc("Cancel an open callback (not while its customer is being dialled), with a note", ok=Callback,
     body=CallbackNote, errors=(409, 503))
def cancel_callback(call_id: int):
    return _callback_action(call_id, "cancel")
