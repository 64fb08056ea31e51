"""The event log and the wallboard as the API reads and answers them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from firmware.store.events import EVENTS, PAGE_MAX
from webui.api.schema import Day, Query, Resource, Time
from webui.fields import SQLITE_INT_MAX

EventName = Literal[EVENTS]  # type: ignore[valid-type]


class EventsQuery(Query):
    from_: Day = Field(default=None, alias="from", description="first day (box local time); default today")
    to: Day = Field(default=None, description="last day (box local time); default today, up to now")
    after_id: int = Field(default=None, ge=0, le=SQLITE_INT_MAX,
                          description="only events written after this one (paging: the last page's next_after_id)")
    limit: int = Field(default=None, ge=1, le=PAGE_MAX, description=f"at most this many (default and most {PAGE_MAX})")


class QueueLogQuery(Query):
    from_: Day = Field(default=None, alias="from", description="first day (box local time); default today")
    to: Day = Field(default=None, description="last day (box local time); default today, up to now")


class Event(Resource):
    """One row of the event log; `data`'s keys depend on the event (docs/design.md, "The event log")."""
    id: int = Field(description="the order of writing")
    at: Time
    event: EventName
    call_id: int | None
    queue_id: int | None
    agent_id: int | None
    data: dict[str, Any]


class EventPage(Resource):
    items: list[Event]
    next_after_id: int | None = Field(description="pass as after_id for the next page; null on the last page")
