"""The event log's API (issue 12, item 1): its events by time range and page, and the same as
Asterisk's queue_log for QueueMetrics or Asternic (firmware/stats/queue_log.py); the wallboard's
figures (STAT1), its settings and its kiosk tokens."""

from __future__ import annotations

import time

from flask import Response, current_app, jsonify, request, url_for

from firmware.stats.queue_log import queue_log
from firmware.store import events, queries, wallboard_tokens
from webui import engine, fields
from webui.access import actor, requires
from webui.api.respond import deleted, read_body
from webui.api.blueprint import bp
from webui.api.openapi import TEXT, doc
from webui.calls.service import day_window
from webui.db import get_db
from webui.format import iso
from webui.wallboard import service
from webui.wallboard.schema import (EventPage, EventsQuery, QueueLogQuery, Wallboard, WallboardSettings,
                                    WallboardSettingsChange, WallboardToken, WallboardTokenCreate,
                                    WallboardTokenCreated)


@bp.get("/events")
@requires("supervisor")
@doc("The event log: what happened to calls in queues and to agents, oldest first, by days (default today) "
     "and pages (after_id)", ok=EventPage, query=EventsQuery)
def list_events():
    since, until = day_window(request.args, time.time())
    after_id = fields.integer(request.args, "after_id", required=False, minimum=0, maximum=fields.SQLITE_INT_MAX) or 0
    limit = fields.integer(request.args, "limit", required=False, minimum=1, maximum=events.PAGE_MAX) \
        or events.PAGE_MAX
    rows = events.between(get_db(), since, until, after_id=after_id, limit=limit)
    items = [{**row, "at": iso(row["at"])} for row in rows]
    return jsonify(items=items, next_after_id=rows[-1]["id"] if len(rows) == limit else None)


@bp.get("/events/queue_log")
@requires("supervisor")
@doc("The event log as Asterisk's queue_log (time|callid|queue|agent|EVENT|data...), for QueueMetrics or "
     "Asternic", ok=TEXT, query=QueueLogQuery)
def export_queue_log():
    since, until = day_window(request.args, time.time())
    db = get_db()
    queue_names = {q["id"]: q["name"] for q in queries.list_queues(db)}
    extensions = {a["id"]: a["extension"] for a in queries.list_agents(db, inactive=True)}
    lines = queue_log(events.between(db, since, until, limit=-1), queue_names, extensions)
    return Response("".join(line + "\n" for line in lines), mimetype=TEXT,
                    headers={"Content-Disposition": "attachment; filename=queue_log"})


@bp.get("/wallboard")
@requires("supervisor")
@doc("The wallboard's figures per queue and in total, the waiting callers and the agents (STAT1; docs/kpi.md)",
     ok=Wallboard)
def wallboard():
    status, _ = engine.status()
    return jsonify(answer(service.board(get_db(), current_app.config["DATABASE"], status), status is not None))


def answer(board: dict, running: bool) -> dict:
    return {**board, "day_started_at": iso(board["day_started_at"]), "engine_running": running}


@bp.get("/wallboard/settings")
@requires("supervisor")
@doc("The wallboard's settings: when today starts, the short-abandon limit, the colour thresholds",
     ok=WallboardSettings)
def wallboard_settings():
    return jsonify(service.settings(get_db()).as_json())


@bp.put("/wallboard/settings")
@requires("admin")
@doc("Replace the wallboard's settings (left out: the default)", ok=WallboardSettings,
     body=WallboardSettingsChange)
def update_wallboard_settings():
    return jsonify(service.update_settings(get_db(), actor(), read_body()).as_json())


def _token(row: dict) -> dict:
    return {**row, "created_at": iso(row["created_at"]), "revoked_at": iso(row["revoked_at"])}


@bp.get("/wallboard/tokens")
@requires("admin")
@doc("The wallboard's kiosk tokens (their hashes only are kept)", ok=list[WallboardToken])
def list_wallboard_tokens():
    return jsonify(items=[_token(r) for r in wallboard_tokens.listed(get_db())])


@bp.post("/wallboard/tokens")
@requires("admin")
@doc("Make a kiosk token: a TV shows the wallboard at its URL without a login, and nothing else",
     ok=WallboardTokenCreated, status=201, body=WallboardTokenCreate, body_required=False,
     ok_description="Created")
def create_wallboard_token():
    row = service.create_token(get_db(), actor(), read_body() if request.get_data() else {})
    return jsonify({**_token(row), "kiosk_url": url_for("wallboard.kiosk", token=row["token"], _external=True)}), 201


@bp.delete("/wallboard/tokens/<id:token_id>")
@requires("admin")
@doc("Revoke a kiosk token: its screen stops at once", status=204, ok_description="Revoked")
def revoke_wallboard_token(token_id: int):
    service.revoke_token(get_db(), actor(), token_id)
    return deleted()
