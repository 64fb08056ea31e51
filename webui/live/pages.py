"""The live queue view: waiting calls and agent states from the engine, kept fresh over SSE, with
each agent's pause and wrap-up controls; and the agent desk, where agents log in to their queues.
An agent acts on their own agent only, a supervisor or admin on anyone.

The engine's status has the shape of firmware/live_status.py (LiveStatus).
"""

from __future__ import annotations

import json
from typing import Any
from collections.abc import Iterator

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _, ngettext
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import BadRequest, Conflict, NotFound, ServiceUnavailable

from firmware.store import queries
from webui import engine
from webui.access import actor, current_identity, requires
from webui.agents import service as agents
from webui.db import close_db, get_db
from webui.i18n import language, word
from webui.i18n.words import label
from webui.live.fanout import fanout
from webui.settings import service as settings

bp = Blueprint("live", __name__, template_folder="templates")

# After the engine goes away the browser comes back this much later (EventSource `retry`).
RECONNECT_MS = 5000


WRAPUP_EXTRA_SECONDS = 60     # what the board's "+60 s" button asks for


def _board(status: dict | None, problem: str | None, controls: dict[str, Any]) -> str:
    return render_template("live/_board.html", status=status, problem=problem, controls=controls,
                           wrapup_extra=WRAPUP_EXTRA_SECONDS)


def _controls() -> dict[str, Any]:
    """Whose pause, wrap-up and waiting classification this user may work on the board, and the
    reasons and dispositions to offer. Read once per page or stream: the stream renders the board
    again and again without the database."""
    identity = current_identity()
    return {"everyone": identity.at_least("supervisor"), "own_agent_id": identity.agent_id,
            "pause_reasons": settings.pause_reason_codes(get_db()),
            "dispositions": settings.dispositions(get_db())}


def _desk() -> list[dict[str, Any]]:
    """The agents this user may log in and out: every agent for a supervisor, else their own."""
    conn = get_db()
    identity = current_identity()
    if identity.at_least("supervisor"):
        agents = queries.list_agents(conn)
    elif identity.agent_id is not None and (own := queries.get_agent(conn, identity.agent_id)) and own["active"]:
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
    return render_template("live/page.html", board=_board(status, problem, _controls()), desk=_desk())


@bp.get("/live/stream")
@requires("agent")
def stream():
    """The board at once and after every change, from the process's one subscription to the engine
    (webui/live/fanout.py). The board is rendered once per engine status for every stream that sees
    it alike (language, whose controls, the reasons and dispositions offered); each stream puts its
    own session's CSRF token into the forms (live.js, from the page)."""
    idle = current_app.config["LIVE_IDLE_SECONDS"]
    fan = fanout(current_app.config["ENGINE_SOCKET"], idle)
    controls = _controls()
    words = language()  # chosen now: the user's setting is read from the database, closed for the stream
    token = generate_csrf()
    key = ("live", words, controls["everyone"], None if controls["everyone"] else controls["own_agent_id"],
           tuple(controls["pause_reasons"]), json.dumps(controls["dispositions"], sort_keys=True))
    close_db()  # the stream may last hours and needs no database

    def render(status: dict | None, problem: str | None) -> str:
        # Framed once, for every stream alike: the forms' CSRF token is left empty and live.js puts
        # the page's own in, so no stream does any work of its own per update but sending it.
        return _sse("board", _board(status, problem, controls).replace(token, ""))

    def board() -> str:
        return fan.derived(key, render)

    def events() -> Iterator[str]:
        seen = fan.wait(0, 1.0)
        while True:
            if fan.status is None:
                # The engine is gone (or never was): say so, end the stream and let the browser retry,
                # rather than hold a connection waiting for it.
                yield f"retry: {RECONNECT_MS}\n" + _sse("board", _board(None, engine.NOT_RUNNING, controls))
                return
            yield board()
            version = fan.wait(seen, idle)
            while version == seen:      # idle: a comment keeps proxies and the browser from dropping the stream
                yield ": keep-alive\n\n"
                version = fan.wait(seen, idle)
            seen = version

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.strip().splitlines())
    return f"event: {event}\n{lines}\n"


@bp.post("/live/agents/<id:agent_id>/login")
@requires("supervisor", or_own_agent=True)
def agent_login(agent_id: int):
    try:
        queue_ids = agents.login_agent(get_db(), actor(), agent_id, request.form)
    except BadRequest as exc:
        flash(word(exc.description), "error")
    else:
        flash(ngettext("Agent logged in to %(num)s queue.", "Agent logged in to %(num)s queues.", len(queue_ids)))
    return redirect(url_for("live.board"))


@bp.post("/live/agents/<id:agent_id>/logout")
@requires("supervisor", or_own_agent=True)
def agent_logout(agent_id: int):
    agents.logout_agent(get_db(), actor(), agent_id)
    flash(_("Agent logged out."))
    return redirect(url_for("live.board"))


# --- an agent's pause and wrap-up (ACD9, ACD10), from the board ----------------------------------


def _on_agent(change, done: str):
    """Runs one pause or wrap-up change; back to the board with what happened or why not."""
    try:
        change()
    except (BadRequest, Conflict, NotFound, ServiceUnavailable) as exc:
        flash(word(exc.description), "error")
    else:
        flash(done)
    return redirect(url_for("live.board"))


@bp.post("/live/agents/<id:agent_id>/pause")
@requires("supervisor", or_own_agent=True)
def agent_pause(agent_id: int):
    return _on_agent(lambda: agents.pause_agent(get_db(), actor(), agent_id, request.form),
                     _("Agent paused (%(reason)s).", reason=label(request.form.get("reason", ""), "pause_reason")))


@bp.post("/live/agents/<id:agent_id>/unpause")
@requires("supervisor", or_own_agent=True)
def agent_unpause(agent_id: int):
    return _on_agent(lambda: agents.unpause_agent(get_db(), actor(), agent_id), _("Agent back from the pause."))


@bp.post("/live/agents/<id:agent_id>/wrapup/end")
@requires("supervisor", or_own_agent=True)
def wrapup_end(agent_id: int):
    force = current_identity().at_least("supervisor")
    return _on_agent(lambda: agents.end_wrapup(get_db(), actor(), agent_id, force=force), _("Wrap-up ended."))


@bp.post("/live/agents/<id:agent_id>/wrapup/extend")
@requires("supervisor", or_own_agent=True)
def wrapup_extend(agent_id: int):
    return _on_agent(lambda: agents.extend_wrapup(get_db(), actor(), agent_id, request.form),
                     _("Wrap-up extended by %(seconds)s s.", seconds=request.form.get("seconds", "")))
