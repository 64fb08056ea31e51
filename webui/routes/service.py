"""The inbound routes' writes: a DID to a queue, with a priority; create and delete."""

from __future__ import annotations

from werkzeug.exceptions import NotFound

from firmware.store import queries
from webui.queues.service import require_queue
from webui.routes.schema import InboundRouteCreate
from webui.service import Data, Row, change, reload_engine
from webui.validation import read


def create_route(conn, actor: str, data: Data) -> Row:
    route = read(InboundRouteCreate, data)
    did, queue_id, priority = route.did, route.queue_id, route.priority
    queue = require_queue(conn, queue_id)
    with change(conn, {"did": did}):
        route = queries.create_inbound_route(conn, did, queue_id, priority)
        queries.audit(conn, actor, "route.create",
                      f"id={route['id']} did={did} queue={queue['name']} priority={priority}")
    reload_engine()
    return route


def delete_route(conn, actor: str, route_id: int) -> None:
    route = queries.get_inbound_route(conn, route_id)
    if route is None:
        raise NotFound(f"no inbound route {route_id}")
    with change(conn, {}):
        queries.delete_inbound_route(conn, route_id)
        queries.audit(conn, actor, "route.delete", f"id={route_id} did={route['did']}")
    reload_engine()

