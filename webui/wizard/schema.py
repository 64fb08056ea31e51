"""The wizard's own steps as it reads them (webui.validation: the same reading as every domain's
form and API; the trunk, agents, queue and number steps are read by their domains' schemas through
their services), and its progress (the setting `wizard`), read back strictly so that a damaged value
starts the wizard over instead of breaking its pages."""

from __future__ import annotations

import ipaddress
import zoneinfo
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from firmware.message import Message, N_
from firmware.prompts.catalogue import LANGUAGES as PROMPT_LANGUAGES
from webui.api.schema import Body, Id, Text
from webui.i18n.languages import LANGUAGES as PAGE_LANGUAGES

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


@cache
def time_zones() -> tuple[str, ...]:
    """The zone database's zones by their names (Europe/Stockholm ...; the old aliases left out)."""
    return tuple(sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC"))


def _refuse(text: str):
    raise PydanticCustomError("wizard_value", "{message}", {"message": Message(text)})


def _zone(value: str) -> str:
    if value not in time_zones():
        _refuse(N_("is not a time zone of the zone database (like Europe/Stockholm)"))
    return value


def _interface(value: str) -> str:
    try:
        ipaddress.ip_interface(value)
    except ValueError:
        _refuse(N_("must be an address with its prefix length, like 192.168.1.20/24"))
    return value


def _address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        _refuse(N_("is not an IP address"))
    return value


IpAddress = Annotated[Text, Field(max_length=64), AfterValidator(_address)]


class LanguageStep(Body):
    language: Literal[tuple(PAGE_LANGUAGES)] = Field(description="the admin's pages")  # type: ignore[valid-type]
    prompt_language: Literal[PROMPT_LANGUAGES] = Field(description="what callers hear")  # type: ignore[valid-type]


class TimeZoneStep(Body):
    time_zone: Annotated[Text, Field(max_length=64), AfterValidator(_zone)]


class NetworkStep(Body):
    """DHCP, or a static address with its prefix; the gateway inside it (checked by network.parse_setting)."""
    interface: Annotated[Text, Field(max_length=15, pattern="^[A-Za-z0-9_.-]+$")]
    mode: Literal["dhcp", "static"]
    address: Annotated[Text, Field(max_length=64), AfterValidator(_interface)] | None = None
    gateway: IpAddress | None = None
    dns1: IpAddress | None = None
    dns2: IpAddress | None = None
    dns3: IpAddress | None = None
