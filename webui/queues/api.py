"""The API's queues and their members."""

from __future__ import annotations

from flask import jsonify

from firmware.store import queries
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.queues.schema import Member, MemberCreate, Queue, QueueCreate, QueueUpdate
from webui.api.respond import read_body, created, deleted, items, one
from webui.db import get_db
from webui.format import with_iso_times
from webui.queues import service


@bp.get("/queues")
@requires("supervisor")
@doc("List the queues", ok=list[Queue])
def list_queues():
    return items(queries.list_queues(get_db()))


@bp.post("/queues")
@requires("admin")
@doc("Create a queue", ok=Queue, status=201, body=QueueCreate, errors=(400, 409), ok_description="Created")
def create_queue():
    return created(service.create_queue(get_db(), actor(), read_body()))


@bp.put("/queues/<id:queue_id>")
@requires("admin")
@doc("Change a queue's strategy or rules (what they name must exist)", ok=Queue, body=QueueUpdate)
def update_queue(queue_id: int):
    return jsonify(with_iso_times(service.update_queue(get_db(), actor(), queue_id, read_body())))


@bp.get("/queues/<id:queue_id>")
@requires("supervisor")
@doc("One queue", ok=Queue)
def get_queue(queue_id: int):
    return one(queries.get_queue(get_db(), queue_id), "queue", queue_id)


@bp.delete("/queues/<id:queue_id>")
@requires("admin")
@doc("Delete a queue; 409 while numbers are routed to it, other queues' rules send callers to it or "
     "callbacks are still to be made", status=204, errors=(409,), ok_description="Deleted")
def delete_queue(queue_id: int):
    service.delete_queue(get_db(), actor(), queue_id)
    return deleted()


@bp.get("/queues/<id:queue_id>/members")
@requires("supervisor")
@doc("The queue's members", ok=list[Member])
def list_members(queue_id: int):
    conn = get_db()
    service.require_queue(conn, queue_id)
    return items([service.member(queue_id, a) for a in queries.list_queue_members(conn, queue_id)])


@bp.post("/queues/<id:queue_id>/members")
@requires("admin")
@doc("Add an agent to the queue", ok=Member, status=201, body=MemberCreate, errors=(409,),
     ok_description="Created")
def add_member(queue_id: int):
    return created(service.add_member(get_db(), actor(), queue_id, read_body()))


@bp.delete("/queues/<id:queue_id>/members/<id:agent_id>")
@requires("admin")
@doc("Remove an agent from the queue", status=204, ok_description="Deleted")
def remove_member(queue_id: int, agent_id: int):
    service.remove_member(get_db(), actor(), queue_id, agent_id)
    return deleted()
