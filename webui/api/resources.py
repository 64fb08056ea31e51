"""The API's resources: agents, queues and members, trunks, inbound routes, agent logins, calls,
recordings, the callback list, the live status and the OpenAPI description. Rules live in webui.actions."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable

from firmware.engine.client import EngineError, EngineUnavailable

from firmware.stats.agent_time import agent_time
from firmware.store import queries
from webui import actions, engine, fields, json_body
from webui.access import actor, current_identity, requires
from webui.api import bp
from webui.api.openapi import SPEC
from webui.alarms import LIST_LIMIT, alarm_rows
from webui.callbacks import ACTION_ROLES, LIST_PARAMETERS, callback_filters
from webui.calls import call_filters, day_window, may_classify, recording_audio
from webui.db import get_db
from webui.format import iso, with_iso_times


def _query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters the description names, per (route as Flask writes it, method)."""
    found = {}
    for path, item in SPEC["paths"].items():
        rule = bp.url_prefix + re.sub(r"{(\w+)}", r"<id:\1>", path)
        for method, op in item.items():
            if method != "parameters":
                found[(rule, method.upper())] = frozenset(p["name"] for p in op.get("parameters", ())
                                                          if p["in"] == "query")
    return found


QUERY_PARAMETERS = _query_parameters()


@bp.before_request
def refuse_unknown_query_parameters():
    """A query parameter the description does not name is refused, not ignored (a misspelt filter
    would list everything). After the token check, so a stranger learns nothing."""
    known = QUERY_PARAMETERS.get((request.url_rule.rule, request.method)) if request.url_rule else None
    if known is None:
        return
    current_identity()
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise BadRequest(f"{unknown[0][:40]}: is not a parameter of this operation"
                         + (f" (it takes {', '.join(sorted(known))})" if known else ""))


def _body() -> dict[str, Any]:
    return json_body.object_body(request.get_data())


def _one(row: dict | None, what: str, ident: int):
    if row is None:
        raise NotFound(f"no {what} {ident}")
    return jsonify(with_iso_times(row))


def _items(rows: list[dict]):
    return jsonify(items=[with_iso_times(r) for r in rows])


def _created(row: dict):
    return jsonify(with_iso_times(row)), 201


def _deleted():
    return "", 204


@bp.get("/openapi.json")
@requires("agent")
def openapi():
    return jsonify(SPEC)


# --- agents -----------------------------------------------------------------------------------

@bp.get("/agents")
@requires("supervisor")
def list_agents():
    """The active agents; ?inactive=1 adds the deactivated ones (history still names them)."""
    inactive = fields.choice(request.args, "inactive", ("0", "1"), default="0") == "1"
    return _items(queries.list_agents(get_db(), inactive=inactive))


@bp.post("/agents")
@requires("admin")
def create_agent():
    return _created(actions.create_agent(get_db(), actor(), _body()))


@bp.get("/agents/<id:agent_id>")
@requires("supervisor")
def get_agent(agent_id: int):
    return _one(queries.get_agent(get_db(), agent_id), "agent", agent_id)


@bp.put("/agents/<id:agent_id>")
@requires("admin")
def update_agent(agent_id: int):
    return jsonify(with_iso_times(actions.update_agent(get_db(), actor(), agent_id, _body())))


@bp.delete("/agents/<id:agent_id>")
@requires("admin")
def delete_agent(agent_id: int):
    actions.deactivate_agent(get_db(), actor(), agent_id)
    return _deleted()


@bp.post("/agents/<id:agent_id>/login")
@requires("supervisor")
def login_agent(agent_id: int):
    queue_ids = actions.login_agent(get_db(), actor(), agent_id, _body())
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


@bp.post("/agents/<id:agent_id>/logout")
@requires("supervisor")
def logout_agent(agent_id: int):
    queue_ids = actions.logout_agent(get_db(), actor(), agent_id)
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


# --- an agent's pause and wrap-up (ACD9, ACD10): the engine's state of the agent --------------

@bp.post("/agents/<id:agent_id>/pause")
@requires("supervisor", or_own_agent=True)
def pause_agent(agent_id: int):
    return jsonify(actions.pause_agent(get_db(), actor(), agent_id, _body()))


@bp.post("/agents/<id:agent_id>/unpause")
@requires("supervisor", or_own_agent=True)
def unpause_agent(agent_id: int):
    return jsonify(actions.unpause_agent(get_db(), actor(), agent_id))


@bp.post("/agents/<id:agent_id>/wrapup/end")
@requires("supervisor", or_own_agent=True)
def end_wrapup(agent_id: int):
    """A supervisor also ends a wrap-up that waits for the call's classification; the agent classifies."""
    return jsonify(actions.end_wrapup(get_db(), actor(), agent_id, force=current_identity().at_least("supervisor")))


@bp.get("/agents/<id:agent_id>/activity")
@requires("supervisor", or_own_agent=True)
def agent_activity(agent_id: int):
    """The agent's logins and pauses within a window of days (default today), and their time:
    logged in, paused per reason, billable pause (ACD10)."""
    actions.require_agent(get_db(), agent_id)
    since, until = day_window(request.args, time.time())
    rows = queries.agent_activity(get_db(), agent_id, since, until)
    figures = agent_time(rows, since, until)
    items = [{"at": iso(r["at"]), "activity": r["activity"], "reason": r["reason"], "billable": bool(r["billable"])}
             for r in rows if r["at"] >= since]
    return jsonify(agent_id=agent_id, since=iso(since), until=iso(until), items=items,
                   logged_in_seconds=round(figures.logged_in, 1),
                   paused_seconds={k: round(v, 1) for k, v in sorted(figures.paused.items())},
                   billable_paused_seconds=round(figures.billable_paused, 1))


@bp.post("/agents/<id:agent_id>/wrapup/extend")
@requires("supervisor", or_own_agent=True)
def extend_wrapup(agent_id: int):
    return jsonify(actions.extend_wrapup(get_db(), actor(), agent_id, _body()))


# --- queues and members -----------------------------------------------------------------------

@bp.get("/queues")
@requires("supervisor")
def list_queues():
    return _items(queries.list_queues(get_db()))


@bp.post("/queues")
@requires("admin")
def create_queue():
    return _created(actions.create_queue(get_db(), actor(), _body()))


@bp.put("/queues/<id:queue_id>")
@requires("admin")
def update_queue(queue_id: int):
    return jsonify(with_iso_times(actions.update_queue(get_db(), actor(), queue_id, _body())))


@bp.get("/queues/<id:queue_id>")
@requires("supervisor")
def get_queue(queue_id: int):
    return _one(queries.get_queue(get_db(), queue_id), "queue", queue_id)


@bp.delete("/queues/<id:queue_id>")
@requires("admin")
def delete_queue(queue_id: int):
    actions.delete_queue(get_db(), actor(), queue_id)
    return _deleted()


@bp.get("/queues/<id:queue_id>/members")
@requires("supervisor")
def list_members(queue_id: int):
    conn = get_db()
    actions.require_queue(conn, queue_id)
    return _items([actions.member(queue_id, a) for a in queries.list_queue_members(conn, queue_id)])


@bp.post("/queues/<id:queue_id>/members")
@requires("admin")
def add_member(queue_id: int):
    return _created(actions.add_member(get_db(), actor(), queue_id, _body()))


@bp.delete("/queues/<id:queue_id>/members/<id:agent_id>")
@requires("admin")
def remove_member(queue_id: int, agent_id: int):
    actions.remove_member(get_db(), actor(), queue_id, agent_id)
    return _deleted()


# --- trunks -----------------------------------------------------------------------------------

@bp.get("/trunks")
@requires("supervisor")
def list_trunks():
    return _items(queries.list_trunks(get_db()))


@bp.post("/trunks")
@requires("admin")
def create_trunk():
    return _created(actions.create_trunk(get_db(), actor(), _body()))


@bp.get("/trunks/<id:trunk_id>")
@requires("supervisor")
def get_trunk(trunk_id: int):
    return _one(queries.get_trunk(get_db(), trunk_id), "trunk", trunk_id)


@bp.delete("/trunks/<id:trunk_id>")
@requires("admin")
def delete_trunk(trunk_id: int):
    actions.delete_trunk(get_db(), actor(), trunk_id)
    return _deleted()


# --- inbound routes ---------------------------------------------------------------------------

@bp.get("/inbound-routes")
@requires("supervisor")
def list_routes():
    return _items(queries.list_inbound_routes(get_db()))


@bp.post("/inbound-routes")
@requires("admin")
def create_route():
    return _created(actions.create_route(get_db(), actor(), _body()))


@bp.get("/inbound-routes/<id:route_id>")
@requires("supervisor")
def get_route(route_id: int):
    return _one(queries.get_inbound_route(get_db(), route_id), "inbound route", route_id)


@bp.delete("/inbound-routes/<id:route_id>")
@requires("admin")
def delete_route(route_id: int):
    actions.delete_route(get_db(), actor(), route_id)
    return _deleted()


# --- calls, recordings, live ------------------------------------------------------------------

CALL_FIELDS = ("id", "caller", "callee", "queue", "queue_id", "agent", "agent_id", "started_at", "answered_at",
               "ended_at", "wait_seconds", "talk_seconds", "outcome", "cause", "recording_id", "caller_input",
               "direction", "callback_of", "disposition", "disposition_note", "disposition_by", "disposition_at")


def _call(row: dict) -> dict:
    return with_iso_times({k: row[k] for k in CALL_FIELDS})


@bp.get("/calls")
@requires("agent")
def list_calls():
    filters = call_filters(request.args)
    limit = fields.integer(request.args, "limit", required=False, minimum=1, maximum=500) or 100
    offset = fields.integer(request.args, "offset", required=False, minimum=0) or 0
    rows = queries.list_calls(get_db(), **filters, limit=limit, offset=offset)
    return jsonify(items=[_call(r) for r in rows])


@bp.get("/calls/<id:call_id>")
@requires("agent")
def get_call(call_id: int):
    row = queries.get_call(get_db(), call_id)
    if row is None:
        raise NotFound(f"no call {call_id}")
    return jsonify(_call(row))


def _engine(cmd: str, **args: Any) -> Any:
    """A command whose effect lives only in the engine: 503 when it is down, 409 when it refuses."""
    try:
        return engine.client().request(cmd, **args)
    except EngineUnavailable:
        raise ServiceUnavailable("engine not running") from None
    except EngineError as exc:
        raise Conflict(str(exc)) from None


@bp.put("/calls/<id:call_id>/disposition")
@requires("agent")
def classify_call(call_id: int):
    """How the call went (ACD12): an agent classifies the calls they answered, a supervisor any."""
    identity = current_identity()
    call = queries.get_call(get_db(), call_id)
    if call is not None and not may_classify(identity, call):
        raise Forbidden("an agent classifies only the calls they answered")
    return jsonify(_call(actions.classify_call(get_db(), actor(), call_id, _body(), by_agent=identity.agent_id)))


@bp.post("/calls/<id:call_id>/monitor")
@requires("supervisor")
def monitor_call(call_id: int):
    """A supervisor's phone on a live call: start (mode and extension), change mode, or stop."""
    body = _body()
    mode = fields.choice(body, "mode", ("listen", "whisper", "barge", "stop"))
    extension = fields.text(body, "extension", required=False, max_length=20)
    result = _engine("monitor", call_id=call_id, mode=mode, extension=extension)
    queries.audit(get_db(), actor(), "call.monitor", f"call={call_id} mode={mode} extension={extension}")
    return jsonify(result)


# --- conferences (live in the engine) ---------------------------------------------------------

@bp.get("/conferences")
@requires("supervisor")
def list_conferences():
    return jsonify(items=_engine("status")["conferences"])


@bp.post("/conferences")
@requires("supervisor")
def create_conference():
    room = _engine("conference_create")
    queries.audit(get_db(), actor(), "conference.create", f"id={room['id']}")
    return jsonify(room), 201


@bp.post("/conferences/<id:conference_id>/members")
@requires("supervisor")
def add_conference_member(conference_id: int):
    """{extension}: dial that phone in; {call_id}: move a live call (caller and agent) in."""
    body = _body()
    call_id = fields.identifier(body, "call_id", required=False)
    extension = fields.text(body, "extension", required=call_id is None, max_length=20)
    member = _engine("conference_add", conference_id=conference_id, call_id=call_id, extension=extension)
    queries.audit(get_db(), actor(), "conference.add", f"id={conference_id} member={member['label']}")
    return jsonify(member), 201


@bp.delete("/conferences/<id:conference_id>/members/<id:member_id>")
@requires("supervisor")
def remove_conference_member(conference_id: int, member_id: int):
    _engine("conference_remove", conference_id=conference_id, member_id=member_id)
    queries.audit(get_db(), actor(), "conference.remove", f"id={conference_id} member={member_id}")
    return _deleted()


@bp.delete("/conferences/<id:conference_id>")
@requires("supervisor")
def close_conference(conference_id: int):
    _engine("conference_close", conference_id=conference_id)
    queries.audit(get_db(), actor(), "conference.close", f"id={conference_id}")
    return _deleted()


@bp.get("/recordings/<id:recording_id>")
@requires("agent")
def get_recording(recording_id: int):
    row = queries.get_recording(get_db(), recording_id)
    if row is None:
        raise NotFound(f"no recording {recording_id}")
    row = {k: v for k, v in row.items() if k != "path"}  # where it lies on the box is nobody's business
    return jsonify(with_iso_times(row))


@bp.get("/recordings/<id:recording_id>/audio")
@requires("agent")
def get_recording_audio(recording_id: int):
    return recording_audio(recording_id, download=False)


@bp.get("/live")
@requires("agent")
def live():
    status, problem = engine.status()
    if status is None:
        raise ServiceUnavailable(problem)
    return jsonify(status)


# --- the callback list (ACD14) ------------------------------------------------------------------

CALLBACK_TIMES = ("wanted_from", "wanted_until")


def _callback(row: dict) -> dict:
    row = with_iso_times(row)
    return {**row, **{k: iso(row[k]) for k in CALLBACK_TIMES}}


@bp.get("/callbacks")
@requires("agent")
def list_callbacks():
    filters = callback_filters(request.args, allowed=(*LIST_PARAMETERS, "limit", "offset"))
    limit = fields.integer(request.args, "limit", required=False, minimum=1, maximum=500) or 100
    offset = fields.integer(request.args, "offset", required=False, minimum=0) or 0
    rows = queries.list_callbacks(get_db(), **filters, limit=limit, offset=offset)
    return jsonify(items=[_callback(r) for r in rows])


@bp.get("/callbacks/<id:call_id>")
@requires("agent")
def get_callback(call_id: int):
    return jsonify(_callback(actions.require_callback(get_db(), call_id)))


def _callback_action(call_id: int, action: str):
    row = actions.act_on_callback(get_db(), current_identity(), call_id, action, _body())
    return jsonify(_callback(row))


@bp.post("/callbacks/<id:call_id>/note")
@requires(ACTION_ROLES["note"])
def note_callback(call_id: int):
    return _callback_action(call_id, "note")


@bp.post("/callbacks/<id:call_id>/requeue")
@requires(ACTION_ROLES["requeue"])
def requeue_callback(call_id: int):
    return _callback_action(call_id, "requeue")


@bp.post("/callbacks/<id:call_id>/call")
@requires(ACTION_ROLES["call"])
def call_callback(call_id: int):
    """Click to call; the body ({"agent_id": ...}) may be left out to call through the user's own phone."""
    body = _body() if request.get_data() else {}
    row = actions.call_callback_now(get_db(), current_identity(), call_id, body)
    return jsonify(_callback(row))


@bp.post("/callbacks/<id:call_id>/cancel")
@requires(ACTION_ROLES["cancel"])
def cancel_callback(call_id: int):
    return _callback_action(call_id, "cancel")


# --- alarms (ACD15) ----------------------------------------------------------------------------------

@bp.get("/alarms")
@requires("supervisor")
def list_alarms():
    limit = fields.integer(request.args, "limit", required=False, minimum=1, maximum=500) or LIST_LIMIT
    return _items(alarm_rows(get_db(), limit=limit))


# --- settings ---------------------------------------------------------------------------------

@bp.get("/settings")
@requires("supervisor")
def get_settings():
    return jsonify(actions.get_settings(get_db()))


@bp.put("/settings")
@requires("admin")
def update_settings():
    return jsonify(actions.update_settings(get_db(), actor(), _body()))
