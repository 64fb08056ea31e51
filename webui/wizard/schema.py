"""What the wizard keeps between its pages: its progress (the setting `wizard`), read back strictly
so that a damaged value starts the wizard over instead of breaking its pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from webui.api.schema import Id

STEPS = ("language", "timezone", "network", "trunk", "agents", "queue", "route", "test-call")
Step = Literal[STEPS]  # type: ignore[valid-type]


class Progress(BaseModel):
    """open: shown to the admin at the start page until finished or skipped; the ids are the rows
    the wizard made through the domain services (the later steps offer them)."""
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "finished", "skipped"] = "open"
    done: list[Step] = Field(default=[], max_length=len(STEPS))
    trunk_ids: list[Id] = Field(default=[], max_length=50)
    agent_ids: list[Id] = Field(default=[], max_length=200)
    queue_id: Id | None = None
    route_id: Id | None = None
    time_zone: str | None = Field(default=None, max_length=64)

    def next_step(self) -> str:
        return next((step for step in STEPS if step not in self.done), STEPS[-1])


def parse_progress(raw: str | None) -> Progress | None:
    if not raw:
        return None
    try:
        return Progress.model_validate_json(raw)
    except ValidationError:
        return None
