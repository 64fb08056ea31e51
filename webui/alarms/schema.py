"""The alarms' resource (ACD15) as the API answers it."""

from __future__ import annotations

from pydantic import Field

from webui.alarms.service import LIST_LIMIT
from webui.api.schema import Query, Resource, Time


class Alarm(Resource):
    """An alarm as the engine raised and cleared it (ACD15), and its notices."""
    id: int
    name: str = Field(description="few-agents, sl-at-risk, long-wait, pause-too-long, ...")
    subject: str = Field(description="what it is about, by id: \"queue 3\", \"agent 2\"")
    subject_name: str = Field(description="the same by name: \"queue Support\"")
    detail: str
    open: bool
    raised_at: Time
    cleared_at: Time | None
    cleared_detail: str | None = Field(description="why it cleared, if said")
    raise_sent_at: Time | None = Field(description="when the raised notice went out (or nobody to tell)")
    clear_sent_at: Time | None = Field(description="the same for the cleared notice")
    attempts: int = Field(description="failed deliveries of the notice due")
    last_error: str | None = Field(description="why the last delivery failed; names no secret")
    next_attempt_at: Time | None = Field(description="the next try while a notice is failing")


class AlarmQuery(Query):
    limit: int = Field(default=LIST_LIMIT, ge=1, le=500, description="how many")
