"""The inbound routes' resources as the API reads and answers them."""

from __future__ import annotations

from pydantic import Field

from webui.api.schema import Body, Id, Resource, Time
from webui.routes.service import ROUTE_PRIORITY

Priority = dict(ge=ROUTE_PRIORITY["minimum"], le=ROUTE_PRIORITY["maximum"])


class InboundRoute(Resource):
    id: int
    did: str
    queue_id: int
    priority: int = Field(**Priority)
    created_at: Time


class InboundRouteCreate(Body):
    did: str = Field(max_length=32, pattern="^\\+?[0-9]+$")
    queue_id: Id
    priority: int | None = Field(default=ROUTE_PRIORITY["minimum"], **Priority,
                                 description="callers of a route with a higher priority are served before the "
                                             "others waiting in the queue (ACD8)")
