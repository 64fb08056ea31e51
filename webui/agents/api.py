"""The API's agents: list, create, read, change rules, deactivate; log in and out; pause and
wrap-up (the engine's state of the agent); the activity of a window of days."""

from __future__ import annotations

import time

from flask import jsonify, request

from firmware.stats.agent_time import agent_time
from firmware.store import queries
from webui import fields
from webui.access import actor, current_identity, requires
from webui.agents import service
from webui.api.blueprint import bp
from webui.agents.schema import (ActivityQuery, Agent, AgentActivity, AgentCreate, AgentListQuery, AgentLogin, AgentPause,
                                 AgentQueues, AgentStateAnswer, AgentUpdate, WrapupExtend)
from webui.api.openapi import doc
from webui.api.respond import read_body, created, deleted, items, one
from webui.calls.service import day_window
from webui.db import get_db
from webui.format import iso, with_iso_times


@bp.get("/agents")
@requires("supervisor")
@doc("List the active agents", ok=list[Agent], query=AgentListQuery)
def list_agents():
    """The active agents; ?inactive=1 adds the deactivated ones (history still names them)."""
    inactive = fields.choice(request.args, "inactive", ("0", "1"), default="0") == "1"
    return items(queries.list_agents(get_db(), inactive=inactive))


@bp.post("/agents")
@requires("admin")
@doc("Create an agent", ok=Agent, status=201, body=AgentCreate, errors=(400, 409), ok_description="Created")
def create_agent():
    return created(service.create_agent(get_db(), actor(), read_body()))


@bp.get("/agents/<id:agent_id>")
@requires("supervisor")
@doc("One agent", ok=Agent)
def get_agent(agent_id: int):
    return one(queries.get_agent(get_db(), agent_id), "agent", agent_id)


@bp.put("/agents/<id:agent_id>")
@requires("admin")
@doc("Change the agent's own rules (skills, wrap-up, delays after a missed offer); the engine reloads",
     ok=Agent, body=AgentUpdate)
def update_agent(agent_id: int):
    return jsonify(with_iso_times(service.update_agent(get_db(), actor(), agent_id, read_body())))


@bp.delete("/agents/<id:agent_id>")
@requires("admin")
@doc("Deactivate an agent: out of their queues, their phone refused at the edge, their extension free for "
     "a new agent; past calls and classifications keep naming them (GET still shows them, other operations "
     "answer 404). 409 while a queue's rules name them", status=204, errors=(409,), ok_description="Deleted")
def delete_agent(agent_id: int):
    service.deactivate_agent(get_db(), actor(), agent_id)
    return deleted()


@bp.post("/agents/<id:agent_id>/login")
@requires("supervisor")
@doc("Log the agent in to queues (the engine logs them in and keeps the login)", ok=AgentQueues,
     body=AgentLogin, errors=(409, 503))
def login_agent(agent_id: int):
    queue_ids = service.login_agent(get_db(), actor(), agent_id, read_body())
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


@bp.post("/agents/<id:agent_id>/logout")
@requires("supervisor")
@doc("Log the agent out of every queue", ok=AgentQueues, errors=(409, 503))
def logout_agent(agent_id: int):
    queue_ids = service.logout_agent(get_db(), actor(), agent_id)
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


# --- an agent's pause and wrap-up (ACD9, ACD10): the engine's state of the agent --------------


@bp.post("/agents/<id:agent_id>/pause")
@requires("supervisor", or_own_agent=True)
@doc("Pause a logged-in agent with a reason (ACD10); on a call the pause starts after the call and its "
     "wrap-up. 409: the engine's reason (logged out, unknown reason)", ok=AgentStateAnswer, body=AgentPause,
     errors=(409, 503))
def pause_agent(agent_id: int):
    return jsonify(service.pause_agent(get_db(), actor(), agent_id, read_body()))


@bp.post("/agents/<id:agent_id>/unpause")
@requires("supervisor", or_own_agent=True)
@doc("End the agent's pause (or the pause waiting for the call to end)", ok=AgentStateAnswer, errors=(409, 503))
def unpause_agent(agent_id: int):
    return jsonify(service.unpause_agent(get_db(), actor(), agent_id))


@bp.post("/agents/<id:agent_id>/wrapup/end")
@requires("supervisor", or_own_agent=True)
@doc("End the agent's wrap-up now (ACD9); 409 when not in wrap-up", ok=AgentStateAnswer, errors=(409, 503))
def end_wrapup(agent_id: int):
    """A supervisor also ends a wrap-up that waits for the call's classification; the agent classifies."""
    return jsonify(service.end_wrapup(get_db(), actor(), agent_id, force=current_identity().at_least("supervisor")))


@bp.get("/agents/<id:agent_id>/activity")
@requires("supervisor", or_own_agent=True)
@doc("The agent's logins and pauses within days (default today) and their time: logged in, paused per "
     "reason, billable pause (ACD10)", ok=AgentActivity, query=ActivityQuery)
def agent_activity(agent_id: int):
    """The agent's logins and pauses within a window of days (default today), and their time:
    logged in, paused per reason, billable pause (ACD10)."""
    service.require_agent(get_db(), agent_id)
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
@doc("Give the agent more wrap-up time; 409 when not in wrap-up", ok=AgentStateAnswer, body=WrapupExtend,
     errors=(409, 503))
def extend_wrapup(agent_id: int):
    return jsonify(service.extend_wrapup(get_db(), actor(), agent_id, read_body()))
