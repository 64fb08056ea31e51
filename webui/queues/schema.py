"""The queues' resources as the API reads and answers them; a queue's rules as firmware/acd/settings.py
parses them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from firmware.acd.actions import Destination
from firmware.acd.config import Condition, Strategy
from webui.api.schema import Body, Id, Name, Resource, StrictBody, Time

Skills = Annotated[dict[str, Annotated[int, Field(ge=1, le=10)]],
                   Field(description="required of every call of the queue: skill: least level 1-10")]


class OverflowDestination(Body):
    kind: Literal[Destination.KINDS]  # type: ignore[valid-type]
    target: Any = Field(default=None, description="queue id, phone number, or the message played before hang-up")


class OverflowRule(Body):
    condition: Condition
    threshold: float = None  # type: ignore[assignment]
    destination: OverflowDestination


class CallbackOffer(Body):
    offer_when_wait_over: float = None  # type: ignore[assignment]
    key: str = None  # type: ignore[assignment]
    max_concurrent: int = None  # type: ignore[assignment]
    retry_delay: float = None  # type: ignore[assignment]
    max_attempts: int = None  # type: ignore[assignment]


class Messages(Body):
    first: str | None = None
    repeated: list[str] = None  # type: ignore[assignment]
    frequency: float = None  # type: ignore[assignment]
    announce_position: bool = None  # type: ignore[assignment]
    announce_wait: bool = None  # type: ignore[assignment]


class SkillRule(Body):
    after: float = Field(description="seconds waited")
    min_level: int = Field(ge=0, le=10, description="0: anyone")


class QueueAlarms(StrictBody):
    min_agents: int = None  # type: ignore[assignment]
    agents_margin: int = None  # type: ignore[assignment]
    sl_target: float = None  # type: ignore[assignment]
    sl_goal: float = None  # type: ignore[assignment]
    sl_margin: float = None  # type: ignore[assignment]
    max_longest_wait: float = None  # type: ignore[assignment]
    wait_margin: float = None  # type: ignore[assignment]
    min_calls: int = None  # type: ignore[assignment]


class Standby(StrictBody):
    """Agents logged in when traffic is high; needs one on_ threshold."""
    agents: list[int] = Field(min_length=1)
    on_waiting: int = None  # type: ignore[assignment]
    on_longest_wait: float = None  # type: ignore[assignment]
    on_available_at_most: int = None  # type: ignore[assignment]
    off_waiting: int = None  # type: ignore[assignment]
    off_longest_wait: float = None  # type: ignore[assignment]
    min_on_seconds: float = None  # type: ignore[assignment]


class QueueSettings(StrictBody):
    """The queue's rules (firmware/acd/settings.py); unknown keys are refused."""
    ring_timeout: float = None  # type: ignore[assignment]
    retry_delay: float = None  # type: ignore[assignment]
    wrapup: float = None  # type: ignore[assignment]
    max_no_answer: int = None  # type: ignore[assignment]
    sticky_window: float = None  # type: ignore[assignment]
    sticky_hold: float = None  # type: ignore[assignment]
    weight: int = None  # type: ignore[assignment]
    handle_time: float = None  # type: ignore[assignment]
    overflow: list[OverflowRule] = None  # type: ignore[assignment]
    callback: CallbackOffer = None  # type: ignore[assignment]
    messages: Messages = None  # type: ignore[assignment]
    announce_agent: bool = Field(default=None, description="the caller hears the agent's number")
    disposition_required: bool = Field(default=None, description="the agent's wrap-up lasts until the call is "
                                                                  "classified (ACD12)")
    schedule: dict[str, Any] = Field(default=None, description="opening hours: timezone, weekly, holidays, "
                                                               "exceptions")
    skills: Skills = None  # type: ignore[assignment]
    skill_rules: list[SkillRule] = Field(default=None, description="the level accepted drops as the wait grows")
    member_order: list[int] = Field(default=None, description="agent ids in order (sequential, round-robin); "
                                                              "others after")
    member_weights: dict[str, Annotated[float, Field(ge=0.01)]] = Field(
        default=None, description="agent id: weight (weighted-random); default 1")
    auto_pause_reason: str = Field(default="no-answer", max_length=40)
    alarms: QueueAlarms = None  # type: ignore[assignment]
    standby: Standby = None  # type: ignore[assignment]


class Queue(Resource):
    id: int
    name: str
    strategy: Strategy
    settings: QueueSettings
    created_at: Time


class QueueCreate(Body):
    name: Name
    strategy: Strategy | None = Field(default=Strategy.LONGEST_IDLE, strict=False)
    settings: QueueSettings | None = None


class QueueUpdate(StrictBody):
    strategy: Strategy | None = Field(default=None, strict=False)
    settings: QueueSettings | None = None


class Member(Resource):
    queue_id: int
    agent_id: int
    name: str
    extension: str


class MemberCreate(Body):
    agent_id: Id
