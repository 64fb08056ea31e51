"""The API's live status and conferences: both live in the engine."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import ServiceUnavailable

from firmware.store import queries
from webui import engine, fields
from webui.access import actor, requires
from webui.api import bp
from webui.api.respond import read_body, deleted
from webui.db import get_db


@bp.get("/conferences")
@requires("supervisor")
def list_conferences():
    return jsonify(items=engine.command("status")["conferences"])


@bp.post("/conferences")
@requires("supervisor")
def create_conference():
    room = engine.command("conference_create")
    queries.audit(get_db(), actor(), "conference.create", f"id={room['id']}")
    return jsonify(room), 201


@bp.post("/conferences/<id:conference_id>/members")
@requires("supervisor")
def add_conference_member(conference_id: int):
    """{extension}: dial that phone in; {call_id}: move a live call (caller and agent) in."""
    body = read_body()
    call_id = fields.identifier(body, "call_id", required=False)
    extension = fields.text(body, "extension", required=call_id is None, max_length=20)
    member = engine.command("conference_add", conference_id=conference_id, call_id=call_id, extension=extension)
    queries.audit(get_db(), actor(), "conference.add", f"id={conference_id} member={member['label']}")
    return jsonify(member), 201


@bp.delete("/conferences/<id:conference_id>/members/<id:member_id>")
@requires("supervisor")
def remove_conference_member(conference_id: int, member_id: int):
    engine.command("conference_remove", conference_id=conference_id, member_id=member_id)
    queries.audit(get_db(), actor(), "conference.remove", f"id={conference_id} member={member_id}")
    return deleted()


@bp.delete("/conferences/<id:conference_id>")
@requires("supervisor")
def close_conference(conference_id: int):
    engine.command("conference_close", conference_id=conference_id)
    queries.audit(get_db(), actor(), "conference.close", f"id={conference_id}")
    return deleted()


@bp.get("/live")
@requires("agent")
def live():
    status, problem = engine.status()
    if status is None:
        raise ServiceUnavailable(problem)
    return jsonify(status)
