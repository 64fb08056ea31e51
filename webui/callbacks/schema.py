"""The callback list's resources (ACD14) as the API reads and answers them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from webui.api.schema import (NOTE_CHAR, NOTE_CONTROLS, SQLITE_INT_MAX, Body, Id, MultilineText, Query, Resource,
                               Time)

SORTS = ("arrived", "interval", "queue", "caller_input", "last_handler", "status", "log")

Status = Literal["waiting", "calling", "connecting", "no-answer", "answered", "failed", "cancelled", "expired"]


class Callback(Resource):
    """One row of the callback list (ACD14)."""
    call_id: int = Field(description="the call the caller left, asking to be called back")
    queue_id: int
    queue: str = Field(description="queue name")
    number: str = Field(description="the number to call back")
    caller_input: str = Field(description="digits the caller keyed while queued")
    arrived_at: Time
    requested_at: Time
    wanted_from: Time | None = Field(description="null: as soon as possible")
    wanted_until: Time | None = Field(description="null: no end")
    forced: bool = Field(description="made by an overflow rule, not asked for")
    status: Status
    attempts: int
    last_handler: int | None = Field(description="agent id")
    last_handler_extension: str | None
    last_handler_name: str | None
    log: list[str]
    last_log: str


class CallbackNote(Body):
    text: MultilineText = Field(min_length=1, max_length=500, pattern=f"^{NOTE_CHAR}*[^\\s{NOTE_CONTROLS}]{NOTE_CHAR}*$",
                      description="the handler's short note, kept in the callback's log with their name")


class CallbackCall(Body):
    agent_id: Id | None = Field(default=None, description="whose phone rings; by default the agent linked to the "
                                                          "user. Only a supervisor or admin may name another agent")


class CallbackFilters(Query):
    sort: Literal[SORTS] = Field(  # type: ignore[valid-type]
        default="arrived", description="the column to sort by (ties by arrival): interval is the start of the "
                                       "wanted interval, log the last log text")
    order: Literal["asc", "desc"] = Field(default="asc", description="sort order")
    queue: Id = Field(default=None, description="only callbacks of this queue")
    open: Literal["0", "1"] = Field(default="0", description="1: only open ones (waiting, calling, connecting, "
                                                             "no-answer)")
    limit: int = Field(default=100, ge=1, le=500, description="page size")
    offset: int = Field(default=0, ge=0, le=SQLITE_INT_MAX, description="callbacks to skip")
