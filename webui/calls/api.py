"""The API's calls (CDRs): list, read, classify (ACD12), a supervisor's monitor; recordings."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import Forbidden

from firmware.store import queries
from webui import engine
from webui.access import actor, current_identity, requires
from webui.api.blueprint import bp
from webui.api.openapi import AUDIO, doc
from webui.calls.schema import Call, CallDisposition, CallFilters, Monitor, Recording
from webui.api.respond import read_body
from webui.calls import service
from webui.calls.service import call_filters, call_page, may_classify, recording_audio
from webui.db import get_db
from webui.validation import read
from webui.format import with_iso_times


CALL_FIELDS = ("id", "caller", "callee", "queue", "queue_id", "agent", "agent_id", "started_at", "answered_at",
               "ended_at", "wait_seconds", "talk_seconds", "outcome", "cause", "recording_id", "caller_input",
               "direction", "callback_of", "disposition", "disposition_note", "disposition_by", "disposition_at")


def _call(row: dict) -> dict:
    return with_iso_times({k: row[k] for k in CALL_FIELDS})


@bp.get("/calls")
@requires("agent")
@doc("Call records, newest first", ok=list[Call], query=CallFilters)
def list_calls():
    rows = queries.list_calls(get_db(), **service.visible_to(current_identity(), call_filters(request.args)),
                              **call_page(request.args))
    return jsonify(items=[_call(r) for r in rows])


@bp.get("/calls/<id:call_id>")
@requires("agent")
@doc("One call record", ok=Call)
def get_call(call_id: int):
    return jsonify(_call(service.require_call(get_db(), call_id)))


@bp.put("/calls/<id:call_id>/disposition")
@requires("agent")
@doc("Classify an answered call (ACD12); an agent only the calls they answered. A wrap-up that waits for "
     "it ends", ok=Call, body=CallDisposition, errors=(403, 409, 503))
def classify_call(call_id: int):
    """How the call went (ACD12): an agent classifies the calls they answered, a supervisor any."""
    identity = current_identity()
    call = queries.get_call(get_db(), call_id)
    if call is not None and not may_classify(identity, call):
        raise Forbidden("an agent classifies only the calls they answered")
    return jsonify(_call(service.classify_call(get_db(), actor(), call_id, read_body(), by_agent=identity.agent_id)))


@bp.post("/calls/<id:call_id>/monitor")
@requires("supervisor")
@doc("A supervisor on a live call (TEL7): rings the extension's phone, then listen (hears both, heard by "
     "none), whisper (heard by the agent only) or barge (heard by both); the same call changes the mode, mode "
     "stop ends it", ok=dict, body=Monitor, errors=(409, 503))
def monitor_call(call_id: int):
    """A supervisor's phone on a live call: start (mode and extension), change mode, or stop."""
    body = read(Monitor, read_body())
    mode, extension = body.mode, body.extension
    result = engine.command("monitor", call_id=call_id, mode=mode, extension=extension)
    queries.audit(get_db(), actor(), "call.monitor", f"call={call_id} mode={mode} extension={extension}")
    return jsonify(result)


@bp.get("/recordings/<id:recording_id>")
@requires("agent")
@doc("A recording's metadata", ok=Recording)
def get_recording(recording_id: int):
    row = service.require_recording(get_db(), recording_id)
    row = {k: v for k, v in row.items() if k != "path"}  # where it lies on the box is nobody's business
    return jsonify(with_iso_times(row))


@bp.get("/recordings/<id:recording_id>/audio")
@requires("agent")
@doc("A recording's audio", ok=AUDIO)
def get_recording_audio(recording_id: int):
    return recording_audio(recording_id, download=False)
