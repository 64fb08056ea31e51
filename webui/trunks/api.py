"""The API's trunks."""

from __future__ import annotations

from flask import jsonify

from firmware.store import queries
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.trunks.schema import LineTestStarted, Trunk, TrunkCreate, TrunkLine
from webui.api.respond import read_body, created, deleted, items, one
from webui.db import get_db
from webui.trunks import service


@bp.get("/trunks")
@requires("supervisor")
@doc("List the trunks", ok=list[Trunk])
def list_trunks():
    return items(queries.list_trunks(get_db()))


@bp.post("/trunks")
@requires("admin")
@doc("Create a trunk", ok=Trunk, status=201, body=TrunkCreate, errors=(409,), ok_description="Created")
def create_trunk():
    return created(service.create_trunk(get_db(), actor(), read_body()))


@bp.get("/trunks/<id:trunk_id>")
@requires("supervisor")
@doc("One trunk", ok=Trunk)
def get_trunk(trunk_id: int):
    return one(queries.get_trunk(get_db(), trunk_id), "trunk", trunk_id)


@bp.delete("/trunks/<id:trunk_id>")
@requires("admin")
@doc("Delete a trunk", status=204, ok_description="Deleted")
def delete_trunk(trunk_id: int):
    service.delete_trunk(get_db(), actor(), trunk_id)
    return deleted()


@bp.get("/trunks/<id:trunk_id>/line")
@requires("supervisor")
@doc("An fxo trunk's line as the engine sees it: up, state, voice format, the last card test (404 for a "
     "trunk that is no card line)", ok=TrunkLine, errors=(503,))
def trunk_line(trunk_id: int):
    return jsonify(service.card_line(get_db(), trunk_id))


@bp.post("/trunks/<id:trunk_id>/line/test")
@requires("admin")
@doc("Start the card test on an fxo trunk's idle line: off hook, the exchange's dial tone within 3 s, on "
     "hook; the result comes in the line's last_check. 409: the engine's reason", ok=LineTestStarted, status=202,
     errors=(409, 503), ok_description="Started")
def test_trunk_line(trunk_id: int):
    return jsonify(service.start_line_test(get_db(), actor(), trunk_id)), 202
