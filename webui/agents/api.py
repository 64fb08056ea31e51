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
from webui.api import bp
from webui.api.respond import read_body, created, deleted, items, one
from webui.calls.service import day_window
from webui.db import get_db
from webui.format import iso, with_iso_times


@bp.get("/agents")
@requires("supervisor")
def list_agents():
    """The active agents; ?inactive=1 adds the deactivated ones (history still names them)."""
    inactive = fields.choice(request.args, "inactive", ("0", "1"), default="0") == "1"
    return items(queries.list_agents(get_db(), inactive=inactive))


@bp.post("/agents")
@requires("admin")
def create_agent():
    return created(service.create_agent(get_db(), actor(), read_body()))


@bp.get("/agents/<id:agent_id>")
@requires("supervisor")
def get_agent(agent_id: int):
    return one(queries.get_agent(get_db(), agent_id), "agent", agent_id)


@bp.put("/agents/<id:agent_id>")
@requires("admin")
def update_agent(agent_id: int):
    return jsonify(with_iso_times(service.update_agent(get_db(), actor(), agent_id, read_body())))


@bp.delete("/agents/<id:agent_id>")
@requires("admin")
def delete_agent(agent_id: int):
    service.deactivate_agent(get_db(), actor(), agent_id)
    return deleted()


@bp.post("/agents/<id:agent_id>/login")
@requires("supervisor")
def login_agent(agent_id: int):
    queue_ids = service.login_agent(get_db(), actor(), agent_id, read_body())
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


@bp.post("/agents/<id:agent_id>/logout")
@requires("supervisor")
def logout_agent(agent_id: int):
    queue_ids = service.logout_agent(get_db(), actor(), agent_id)
    return jsonify(agent_id=agent_id, queue_ids=queue_ids)


# --- an agent's pause and wrap-up (ACD9, ACD10): the engine's state of the agent --------------


@bp.post("/agents/<id:agent_id>/pause")
@requires("supervisor", or_own_agent=True)
def pause_agent(agent_id: int):
    return jsonify(service.pause_agent(get_db(), actor(), agent_id, read_body()))


@bp.post("/agents/<id:agent_id>/unpause")
@requires("supervisor", or_own_agent=True)
def unpause_agent(agent_id: int):
    return jsonify(service.unpause_agent(get_db(), actor(), agent_id))


@bp.post("/agents/<id:agent_id>/wrapup/end")
@requires("supervisor", or_own_agent=True)
def end_wrapup(agent_id: int):
    """A supervisor also ends a wrap-up that waits for the call's classification; the agent classifies."""
    return jsonify(service.end_wrapup(get_db(), actor(), agent_id, force=current_identity().at_least("supervisor")))


@bp.get("/agents/<id:agent_id>/activity")
@requires("supervisor", or_own_agent=True)
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
def extend_wrapup(agent_id: int):
    return jsonify(service.extend_wrapup(get_db(), actor(), agent_id, read_body()))
