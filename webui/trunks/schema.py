"""The trunks' resources as the API reads and answers them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from webui.api.schema import ONE_LINE, Body, Name, Resource, Time
from webui.sip_fields import HOSTPORT_PATTERN, SIP_USER_PATTERN
from webui.trunks.service import DTMF_MODES, TRUNK_TYPES

TrunkType = Literal[TRUNK_TYPES]  # type: ignore[valid-type]
DtmfMode = Literal[DTMF_MODES]  # type: ignore[valid-type]


class Trunk(Resource):
    id: int
    name: str
    type: TrunkType
    address: str
    username: str | None
    dtmf: DtmfMode
    created_at: Time


class TrunkCreate(Body):
    """A register trunk also requires username and password."""
    name: Name
    type: TrunkType
    address: str = Field(max_length=255, pattern=f"^{HOSTPORT_PATTERN}$",
                         description="host or host:port: a host name, an IPv4 address or [IPv6], port 1-65535")
    username: str | None = Field(default=None, max_length=100, pattern=f"^{SIP_USER_PATTERN}$",
                                 description="the SIP user name (RFC 3261 user part)")
    password: str | None = Field(default=None, max_length=128, pattern=ONE_LINE,
                                 json_schema_extra={"writeOnly": True})
    dtmf: DtmfMode | None = Field(default=DTMF_MODES[0], description="how the trunk sends keys: RFC 4733 events "
                                                                     "or in-band tones")
