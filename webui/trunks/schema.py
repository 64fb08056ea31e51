"""The trunks' resources as the API reads and answers them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from webui.api.schema import ONE_LINE, Body, Name, Resource, Time
from webui.sip_fields import HOSTPORT_PATTERN, SIP_USER_PATTERN
from webui.trunks.service import DEVICE, DEVICE_PATTERN, DIALECTS, DTMF_MODES, NUMBER, TRUNK_TYPES

TrunkType = Literal[TRUNK_TYPES]  # type: ignore[valid-type]
DtmfMode = Literal[DTMF_MODES]  # type: ignore[valid-type]
Dialect = Literal[DIALECTS]  # type: ignore[valid-type]


class Trunk(Resource):
    id: int
    name: str
    type: TrunkType
    address: str
    username: str | None
    dtmf: DtmfMode
    device: str | None = Field(description="fxo: the modem's serial device")
    dialect: Dialect | None = Field(description="fxo: the modem's AT dialect")
    number: str | None = Field(description="fxo: the number the line answers for")
    created_at: Time


class TrunkCreate(Body):
    """A peer or register trunk requires the address, a register trunk also username and password; an
    fxo trunk (an analog line through a V.253 voice modem, docs/cards.md) requires device and number
    instead and ignores address, username and password."""
    name: Name
    type: TrunkType
    address: str | None = Field(default=None, max_length=255, pattern=f"^{HOSTPORT_PATTERN}$",
                                description="host or host:port: a host name, an IPv4 address or [IPv6], "
                                            "port 1-65535 (peer and register)")
    username: str | None = Field(default=None, max_length=100, pattern=f"^{SIP_USER_PATTERN}$",
                                 description="the SIP user name (RFC 3261 user part)")
    password: str | None = Field(default=None, max_length=128, pattern=ONE_LINE,
                                 json_schema_extra={"writeOnly": True})
    dtmf: DtmfMode | None = Field(default=DTMF_MODES[0], description="how the trunk sends keys: RFC 4733 events "
                                                                     "or in-band tones")
    device: str | None = Field(default=None, max_length=DEVICE["max_length"], pattern=f"^{DEVICE_PATTERN}$",
                               description="fxo: the modem's serial device, an absolute path (best a stable "
                                           "name such as /dev/serial/by-id/...)")
    dialect: Dialect | None = Field(default=DIALECTS[0], description="fxo: the modem's AT dialect (auto: "
                                                                     "found by the modem's answers)")
    number: str | None = Field(default=None, max_length=NUMBER["max_length"], pattern=f"^{NUMBER['pattern']}$",
                               description="fxo: the number the line answers for; the inbound route with "
                                           "this number takes its calls")


class LineCheck(Resource):
    dial_tone: bool = Field(description="the exchange's dial tone was heard off hook")
    seconds: float | None = Field(description="how soon it came")
    detail: str
    at: float = Field(description="when (Unix time)")


class TrunkLine(Resource):
    """An fxo trunk's line as the engine sees it (docs/cards.md)."""
    up: bool = Field(description="the modem answers and is initialised")
    state: str = Field(description="the driver's state: idle, ringing, talking, checking, down ...")
    codec: str | None
    full_duplex: bool | None
    in_call: bool
    last_check: LineCheck | None = Field(description="the last card test (POST .../line/test)")


class LineTestStarted(Resource):
    started: bool
