"""The calls' resources (CDRs, classification, monitoring, recordings) as the API reads and answers them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from firmware.store.queries import OUTCOMES
from webui.api.schema import ONE_LINE, SQLITE_INT_MAX, Body, Day, Id, Note, Query, Resource, StrictBody, Text, Time

Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]


class Call(Resource):
    id: int
    caller: str
    callee: str
    queue: str | None = Field(description="queue name")
    queue_id: int | None
    agent: str | None = Field(description="agent extension")
    agent_id: int | None
    started_at: Time
    answered_at: Time | None
    ended_at: Time | None
    wait_seconds: float | None
    talk_seconds: float | None
    outcome: Outcome | None = Field(description="null while the call lasts")
    cause: str | None
    recording_id: int | None
    caller_input: str = Field(description="digits the caller keyed while queued")
    direction: Literal["inbound", "outbound"]
    callback_of: int | None = Field(description="the call this callback answers")
    disposition: str | None = Field(description="how the call was classified (ACD12)")
    disposition_note: str | None
    disposition_by: str | None = Field(description="extension of the classifying agent")
    disposition_at: Time | None


class CallDisposition(StrictBody):
    disposition: Text = Field(max_length=40, description="a code of the setting dispositions")
    note: Note | None = None


class Monitor(Body):
    mode: Literal["listen", "whisper", "barge", "stop"]
    extension: Text | None = Field(default=None, max_length=20, pattern=ONE_LINE,
                                   description="the supervisor's phone, to start")


class Recording(Resource):
    id: int
    call_id: int
    channels: int
    started_at: Time
    duration_seconds: float | None
    bytes: int | None
    removed_at: Time | None = Field(description="when the retention removed the audio (the row stays)")
    removed_reason: str | None = Field(description="why: too old, or the disk too full")


class CallFilters(Query):
    outcome: Outcome = Field(default=None, description="only this outcome")
    queue_id: Id = Field(default=None, description="only calls of this queue")
    agent_id: Id = Field(default=None, description="only calls answered by this agent")
    caller: Text = Field(default=None, max_length=64, pattern=ONE_LINE, description="caller number contains this")
    from_: Day = Field(default=None, alias="from", description="started on or after this day (box local time)")
    to: Day = Field(default=None, description="started on or before this day (box local time)")
    disposition: Text = Field(default=None, max_length=40, pattern=ONE_LINE,
                             description="only calls classified with this code (ACD12)")
    limit: int = Field(default=100, ge=1, le=500, description="page size")
    offset: int = Field(default=0, ge=0, le=SQLITE_INT_MAX, description="calls to skip")
