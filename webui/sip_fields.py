"""Fields that end up in SIP: a trunk's host[:port] and a registration's user name, checked by the
grammar the engine and kamailio will read them with (issue 8, finding 9: port 0, port 99999 and
user names no SIP URI can carry were stored, and the engine logged an error at every reload)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from firmware.message import N_

from webui import fields
from webui.fields import FieldError

# RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ), unreserved = alphanum / mark.
SIP_USER_PATTERN = r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+"
# RFC 1123 host names (labels of letters, digits and inner hyphens) or an IPv6 literal in brackets,
# then an optional port 1-65535. An all-digit dotted name must also be a real IPv4 address.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
HOSTPORT_PATTERN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::{_PORT})?"
_ADDRESS = re.compile(rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>[0-9]+))?")
ADDRESS_HINT = N_("must be host or host:port (a host name, an IPv4 address or [IPv6], port 1-65535)")


def address(data: Mapping[str, Any], name: str) -> str:
    value = fields.text(data, name, max_length=255)
    assert value is not None
    match = _ADDRESS.fullmatch(value)
    if match is None:
        raise FieldError(name, ADDRESS_HINT)
    host, port = match["host"], match["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise FieldError(name, "port must be from 1 to 65535")
    try:
        if match["ipv6"] is not None:
            ipaddress.IPv6Address(match["ipv6"])
        elif host.replace(".", "").isdigit():
            ipaddress.IPv4Address(host)
    except ValueError:
        raise FieldError(name, "{host} is not an IP address", host=host) from None
    if len(host) > 253:
        raise FieldError(name, "the host name is longer than 253 characters")
    return value


def sip_user(data: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    return fields.text(data, name, required=required, max_length=100, pattern=SIP_USER_PATTERN,
                       hint=N_("is not a SIP user name (RFC 3261: letters, digits, -_.!~*'()&=+$,;?/ and %XX)"))
