"""The agents' resources as the API reads and answers them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from firmware.acd.states import AgentState
from firmware.store.queries import AGENT_ACTIVITIES
from firmware.message import N_
from webui.api.schema import Body, Day, Flag, Id, Name, Query, Resource, Secret, StrictBody, Text, Time
from webui.validation import Hint

MIN_SIP_PASSWORD = 8

Skills = Annotated[dict[str, Annotated[int, Field(ge=1, le=10)]],
                   Field(description="skill: level from 1 to 10, e.g. {\"de\": 5}")]
Delay = Annotated[float, Field(ge=0, le=3600)]


class AgentSettings(StrictBody):
    """The agent's own rules (parse_agent_settings in firmware/acd/settings.py); unknown keys are refused."""
    skills: Skills = None  # type: ignore[assignment]
    wrapup: Delay = Field(default=None, description="seconds after each call; overrides the queue's wrap-up")
    no_answer_delay: Delay = Field(default=None, description="seconds the agent is not offered a call after not "
                                                             "answering one")
    reject_delay: Delay = Field(default=None, description="... after rejecting one")
    busy_delay: Delay = Field(default=None, description="... after a busy phone")


class Agent(Resource):
    id: int
    name: str
    extension: str
    settings: AgentSettings
    paused_reason: str | None = Field(description="the reason of the pause the store last recorded")
    created_at: Time
    active: bool = Field(description="false once deactivated (deleted): kept for history")
    deactivated_at: Time | None


class AgentCreate(Body):
    name: Name
    extension: Annotated[Text, Hint(N_("must contain digits only"))] = Field(max_length=20, pattern="^[0-9]+$")
    sip_password: Secret = Field(min_length=MIN_SIP_PASSWORD, max_length=128, json_schema_extra={"writeOnly": True})
    settings: AgentSettings | None = None


class AgentUpdate(StrictBody):
    settings: AgentSettings


class AgentPause(Body):
    reason: str = Field(description="a code of the pause reasons (setting pause_reasons)")


class WrapupExtend(Body):
    seconds: int = Field(ge=1, le=600, description="seconds added to the wrap-up")


class AgentLogin(Body):
    queue_ids: list[Id] = Field(description="queues the agent is a member of: at least one")


class AgentQueues(Resource):
    agent_id: int
    queue_ids: list[int] = Field(description="every queue the agent is now logged in to")


class AgentStateAnswer(Resource):
    """The agent's state in the engine's ACD."""
    agent_id: int
    state: AgentState
    pause_reason: str | None = Field(description="the reason paused for, or to be paused for once the call and "
                                                 "wrap-up end")


class ActivityItem(Resource):
    at: Time
    activity: Literal[AGENT_ACTIVITIES]  # type: ignore[valid-type]
    reason: str | None
    billable: bool


class AgentActivity(Resource):
    agent_id: int
    since: Time
    until: Time
    items: list[ActivityItem]
    logged_in_seconds: float
    paused_seconds: dict[str, float] = Field(description="seconds paused per reason")
    billable_paused_seconds: float


class AgentListQuery(Query):
    inactive: Flag = Field(default="0", description="1: the deactivated agents too (after the active ones)")


class ActivityQuery(Query):
    from_: Day = Field(default=None, alias="from", description="first day (box local time)")
    to: Day = Field(default=None, description="last day (box local time)")
