"""The live queue view: waiting calls and agent states from the engine, kept fresh over SSE;
and the agent desk, where agents log in to their queues (supervisors for anyone).

The engine's status (see firmware/engine/engine.py `snapshot`):
{"queues": [{"id", "name", "waiting": [{"call_id", "caller", "position", "waited_seconds"}], ...}],
 "agents": [{"id", "name", "extension", "state", "queue_ids", "call_id"}], "active_calls": n}
"""

from __future__ import annotations

from typing import Any, Iterator

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from werkzeug.exceptions import BadRequest

from firmware.engine.client import EngineUnavailable
from firmware.store import queries
from webui import actions, engine
from webui.access import actor, current_identity, requires
from webui.db import close_db, get_db

bp = Blueprint("live", __name__)

# After the engine goes away the browser comes back this much later (EventSource `retry`).
RECONNECT_MS = 5000


def _board(status: dict | None, problem: str | None) -> str:
    return render_template("live/_board.html", status=status, problem=problem)


def _desk() -> list[dict[str, Any]]:
    """The agents this user may log in and out: every agent for a supervisor, else their own."""
    conn = get_db()
    identity = current_identity()
    if identity.at_least("supervisor"):
        agents = queries.list_agents(conn)
    elif identity.agent_id is not None and (own := queries.get_agent(conn, identity.agent_id)):
        agents = [own]
    else:
        agents = []
    queues = {q["id"]: q["name"] for q in queries.list_queues(conn)}
    for agent in agents:
        agent["member_of"] = [(qid, queues[qid]) for qid in sorted(queries.agent_queue_ids(conn, agent["id"]))]
        agent["logged_in"] = set(queries.logged_in_queue_ids(conn, agent["id"]))
    return agents


@bp.get("/live")
@requires("agent")
def board():
    status, problem = engine.status()
    return render_template("live/page.html", board=_board(status, problem), desk=_desk())


@bp.get("/live/stream")
@requires("agent")
def stream():
    client = engine.client()
    idle = current_app.config["LIVE_IDLE_SECONDS"]
    close_db()  # the stream may last hours and needs no database

    def events() -> Iterator[str]:
        try:
            for event in client.subscribe(idle_timeout=idle):
                if event.get("event") == "status":
                    yield _sse("board", _board(event.get("status") or {}, None))
                else:  # idle: a comment keeps proxies and the browser from dropping the stream
                    yield ": keep-alive\n\n"
        except (EngineUnavailable, OSError, ValueError):
            pass
        # The engine is gone (or never was): say so, end the stream and let the browser retry,
        # rather than hold a worker thread waiting for it.
        yield f"retry: {RECONNECT_MS}\n" + _sse("board", _board(None, "engine not running"))

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.strip().splitlines())
    return f"event: {event}\n{lines}\n"


@bp.post("/live/agents/<int:agent_id>/login")
@requires("supervisor", or_own_agent=True)
def agent_login(agent_id: int):
    try:
        queue_ids = actions.login_agent(get_db(), actor(), agent_id, request.form)
    except BadRequest as exc:
        flash(exc.description, "error")
    else:
        flash(f"Agent logged in to {len(queue_ids)} queue(s).")
    return redirect(url_for("live.board"))


@bp.post("/live/agents/<int:agent_id>/logout")
@requires("supervisor", or_own_agent=True)
def agent_logout(agent_id: int):
    actions.logout_agent(get_db(), actor(), agent_id)
    flash("Agent logged out.")
    return redirect(url_for("live.board"))
