"""The API's inbound routes."""

from __future__ import annotations

from firmware.store import queries
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.routes.schema import InboundRoute, InboundRouteCreate
from webui.api.respond import read_body, created, deleted, items, one
from webui.db import get_db
from webui.routes import service


@bp.get("/inbound-routes")
@requires("supervisor")
@doc("List the inbound routes", ok=list[InboundRoute])
def list_routes():
    return items(queries.list_inbound_routes(get_db()))


@bp.post("/inbound-routes")
@requires("admin")
@doc("Create an inbound route", ok=InboundRoute, status=201, body=InboundRouteCreate, errors=(404, 409),
     ok_description="Created")
def create_route():
    return created(service.create_route(get_db(), actor(), read_body()))


@bp.get("/inbound-routes/<id:route_id>")
@requires("supervisor")
@doc("One inbound route", ok=InboundRoute)
def get_route(route_id: int):
    return one(queries.get_inbound_route(get_db(), route_id), "inbound route", route_id)


@bp.delete("/inbound-routes/<id:route_id>")
@requires("admin")
@doc("Delete an inbound route", status=204, ok_description="Deleted")
def delete_route(route_id: int):
    service.delete_route(get_db(), actor(), route_id)
    return deleted()
