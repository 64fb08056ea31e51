"""The API's live status and conferences: both live in the engine."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import ServiceUnavailable

from firmware.store import queries
from webui import engine, fields
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.live.schema import Conference, ConferenceMember, ConferenceMemberCreate, LiveStatus
from webui.api.respond import read_body, deleted
from webui.db import get_db


@bp.get("/conferences")
@requires("supervisor")
@doc("Live conferences and their members", ok=list[Conference], errors=(503,))
def list_conferences():
    return jsonify(items=engine.command("status")["conferences"])


@bp.post("/conferences")
@requires("supervisor")
@doc("Open a conference (up to 50 members)", ok=Conference, status=201, errors=(409, 503),
     ok_description="Created")
def create_conference():
    room = engine.command("conference_create")
    queries.audit(get_db(), actor(), "conference.create", f"id={room['id']}")
    return jsonify(room), 201


@bp.post("/conferences/<id:conference_id>/members")
@requires("supervisor")
@doc("Dial a phone in ({extension}) or move a live call in ({call_id})", ok=ConferenceMember, status=201,
     body=ConferenceMemberCreate, errors=(409, 503), ok_description="Created")
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
@doc("Remove a member (a moved call goes back to its own line)", status=204, errors=(409, 503),
     ok_description="Removed")
def remove_conference_member(conference_id: int, member_id: int):
    engine.command("conference_remove", conference_id=conference_id, member_id=member_id)
    queries.audit(get_db(), actor(), "conference.remove", f"id={conference_id} member={member_id}")
    return deleted()


@bp.delete("/conferences/<id:conference_id>")
@requires("supervisor")
@doc("Close a conference: dialled phones are hung up, moved calls go back", status=204, errors=(409, 503),
     ok_description="Closed")
def close_conference(conference_id: int):
    engine.command("conference_close", conference_id=conference_id)
    queries.audit(get_db(), actor(), "conference.close", f"id={conference_id}")
    return deleted()


@bp.get("/live")
@requires("agent")
@doc("The engine's live status: waiting calls and agent states", ok=LiveStatus, errors=(503,))
def live():
    status, problem = engine.status()
    if status is None:
        raise ServiceUnavailable(problem)
    return jsonify(status)
