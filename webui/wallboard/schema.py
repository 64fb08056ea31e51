"""The event log and the wallboard as the API reads and answers them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from firmware.store.events import EVENTS, PAGE_MAX
from webui.api.schema import ONE_LINE, Body, Day, Query, Resource, StrictBody, Time
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


# --- the wallboard (STAT1) ---------------------------------------------------------------------------

Colour = Literal["green", "amber", "red"]


class AgentCounts(Resource):
    staffed: int = Field(description="logged in (to this queue)")
    idle: int
    talking: int
    ringing: int
    wrap_up: int
    paused: int
    paused_by_reason: dict[str, int]
    unavailable: int = Field(description="logged in, but their phone is not registered or did not answer")
    logged_out: int = Field(description="members of the queue (in total: agents of the box) not logged in")


class QueueFigures(Resource):
    """docs/kpi.md defines each figure as computed (firmware/stats/wallboard.py)."""
    queue_id: int | None = Field(description="null in the total")
    queue: str
    waiting: int
    longest_wait_seconds: float
    agents: AgentCounts
    agents_idle: int
    offered: int
    answered: int
    answered_within_threshold: int
    abandoned: int = Field(description="abandoned after the short-abandon limit")
    abandoned_short: int
    overflowed: int
    service_level_threshold_seconds: float | None
    service_level: float | None = Field(ge=0, le=1)
    average_wait_seconds: float | None
    average_talk_seconds: float | None
    colours: dict[str, Colour | None] = Field(description="figure: its colour by the thresholds (settings)")


class WaitingCaller(Resource):
    queue_id: int
    queue: str
    position: int | None
    caller: str
    caller_input: str
    waited_seconds: float


class RosterAgent(Resource):
    agent_id: int
    name: str
    extension: str
    state: str
    pause_reason: str | None
    since_seconds: float | None = Field(description="seconds since the agent's last event (state change)")
    caller: str | None = Field(description="the caller on the agent's current or ringing call")
    queues: list[str]
    calls_today: int


class Wallboard(Resource):
    day_started_at: Time
    queues: list[QueueFigures]
    total: QueueFigures
    waiting: list[WaitingCaller] = Field(description="longest waiting first")
    agents: list[RosterAgent]
    engine_running: bool


class Threshold(Resource):
    amber: float = Field(ge=0)
    red: float = Field(ge=0)


class QueueThresholds(Resource):
    thresholds: dict[str, Threshold]


class WallboardSettings(Resource):
    day_starts_at: int = Field(ge=0, le=23, description="the hour (box local time) \"today\" starts at")
    short_abandon_seconds: float = Field(ge=0, le=600)
    thresholds: dict[str, Threshold] = Field(description="per figure (waiting, longest_wait_seconds, service_level, "
                                                         "abandoned, average_wait_seconds, agents_idle); red above "
                                                         "amber: higher is worse, else lower is")
    queues: dict[str, QueueThresholds] = Field(description="queue id: its own thresholds")


class WallboardSettingsChange(StrictBody):
    """The whole setting: a field left out (or null) takes its default."""
    day_starts_at: int | None = Field(default=None, ge=0, le=23)
    short_abandon_seconds: float | None = Field(default=None, ge=0, le=600)
    thresholds: dict[str, Threshold] | None = None
    queues: dict[str, QueueThresholds] | None = None


class WallboardTokenCreate(Body):
    label: str | None = Field(default=None, max_length=100, pattern=ONE_LINE)


class WallboardToken(Resource):
    id: int
    label: str
    created_at: Time
    created_by: str
    revoked_at: Time | None


class WallboardTokenCreated(WallboardToken):
    token: str = Field(description="shown this once: the kiosk URL is /wallboard/kiosk?token=<token>")
    kiosk_url: str
