"""The event log's API (issue 12, item 1): its events by time range and page, and the same as
Asterisk's queue_log for QueueMetrics or Asternic (firmware/stats/queue_log.py)."""

from __future__ import annotations

import time

from flask import Response, jsonify, request

from firmware.stats.queue_log import queue_log
from firmware.store import events, queries
from webui import fields
from webui.access import requires
from webui.api.blueprint import bp
from webui.api.openapi import TEXT, doc
from webui.calls.service import day_window
from webui.db import get_db
from webui.format import iso
from webui.wallboard.schema import EventPage, EventsQuery, QueueLogQuery


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
