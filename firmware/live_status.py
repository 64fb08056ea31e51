"""The shape of the engine's live status, defined once: the engine's snapshot is built to it (its tests check it),
the web reads it, the API's description is generated from it and the web tests' stand-in engine
serves it. Pure: pydantic models, no I/O.

A field with a default may be left out by whoever builds a status (a test's stand-in engine); what
the engine sends always has every field (model_dump), and the API's description says so."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from firmware.acd.states import AgentState


class _Shape(BaseModel):
    # forbid: a key the engine adds must be added here too, or its tests fail; in the description
    # every field is required, because what is sent always has them all.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Monitoring(_Shape):
    """A supervisor's phone on the call (TEL7)."""
    extension: str
    mode: Literal["listen", "whisper", "barge"]
    connected: bool


class LiveCall(_Shape):
    """A call the engine carries now."""
    call_id: int
    caller: str
    did: str = ""
    queue_id: int | None = None
    phase: str = Field(description="welcome, queued, talking, leaving, voicemail or ended")
    position: int | None = Field(default=None, description="place in the queue while queued")
    waited_seconds: float = 0.0
    agent_id: int | None = None
    ringing_agent_ids: list[int] = []
    caller_input: str = Field(default="", description="digits the caller keyed while queued")
    monitor: Monitoring | None = None


class LiveQueue(_Shape):
    id: int
    name: str
    waiting: list[LiveCall] = Field(default=[], description="the queued calls, first in line first")
    longest_wait_seconds: float = 0.0


class LiveAgent(_Shape):
    id: int
    name: str
    extension: str
    state: AgentState
    pause_reason: str | None = Field(default=None, description="paused for, or to be paused for after the call")
    queue_ids: list[int] = Field(default=[], description="the queues the agent is logged in to")
    call_id: int | None = None
    unclassified_call: int | None = Field(default=None, description="the call whose classification the "
                                                                    "agent's wrap-up waits for (ACD12)")


class LiveCallback(_Shape):
    """An open row of the engine's callback list (ACD14); times as how long ago."""
    call_id: int
    arrived: None = None
    interval: None = None
    queue: int
    number: str
    caller_input: str = ""
    last_handler: int | None = None
    status: str
    attempts: int = 0
    log: str = ""
    forced: bool = False
    waited_seconds: float = 0.0


class LiveAlarm(_Shape):
    name: str
    subject: str
    detail: str


class ConferenceMember(_Shape):
    id: int
    kind: Literal["phone", "call"] = Field(description="a phone dialled in, or a live call moved in")
    label: str
    call_id: int | None = None
    connected: bool


class Conference(_Shape):
    id: int
    members: list[ConferenceMember] = []


class LiveStatus(_Shape):
    """The engine's live status: queues with their waiting calls, agents' states, calls, the open
    callbacks, open alarms and conferences."""
    queues: list[LiveQueue] = []
    agents: list[LiveAgent] = []
    calls: list[LiveCall] = []
    active_calls: int = 0
    callbacks: list[LiveCallback] = []
    alarms: list[LiveAlarm] = []
    conferences: list[Conference] = []


def checked(status: dict) -> dict:
    """A status as the web reads it: validated by the shape, every field present (defaults filled)."""
    return LiveStatus.model_validate(status).model_dump(mode="json")


def conforms(status: dict) -> bool:
    """Whether a status as the engine built it fits the shape. The engine does not check its own
    snapshot at every publish (1.4 ms of its loop for 200 calls, and the web checks what it receives):
    its tests do, on the snapshots they take."""
    LiveStatus.model_validate(status)
    return True
