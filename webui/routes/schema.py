"""The inbound routes' resources as the API reads and answers them, and as the routes page's form
is read: these models are the rules (webui.validation)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from firmware.message import N_
from webui.api.schema import Body, Id, Resource, Text, Time
from webui.validation import Hint

# A caller on a route with a higher priority is served before the others waiting in the queue (ACD8).
LOWEST_PRIORITY, HIGHEST_PRIORITY = 0, 9
Priority = Annotated[int, Field(ge=LOWEST_PRIORITY, le=HIGHEST_PRIORITY)]


class InboundRoute(Resource):
    id: int
    did: str
    queue_id: int
    priority: Priority
    created_at: Time


class InboundRouteCreate(Body):
    did: Annotated[Text, Hint(N_("must be digits with an optional leading +"))] = Field(
        max_length=32, pattern="^\\+?[0-9]+$", description="the number dialled")
    queue_id: Id
    priority: Priority = Field(default=LOWEST_PRIORITY,
                               description="callers of a route with a higher priority are served before the "
                                           "others waiting in the queue (ACD8)")
