"""The live resources (status, conferences) as the API reads and answers them: their shape is the
engine's, defined once in firmware/live_status.py."""

from __future__ import annotations

from pydantic import Field

from firmware.live_status import Conference, ConferenceMember, LiveStatus
from webui.api.schema import ONE_LINE, Body, Id

__all__ = ["Conference", "ConferenceMember", "ConferenceMemberCreate", "LiveStatus"]


class ConferenceMemberCreate(Body):
    """{extension}: dial that phone in; {call_id}: move a live call (caller and agent) in."""
    extension: str | None = Field(default=None, max_length=20, pattern=ONE_LINE)
    call_id: Id | None = None
