"""Reading what the engine needs from a received SIP request: the dialled number and a few headers."""

from __future__ import annotations

import re

SOURCE_HEADER = "X-Callbox-Source"   # added by the edge: the address the request came from
AGENT_HEADER = "X-Callbox-Agent"     # added by the edge: the extension whose password the caller proved

_URI_USER = re.compile(r"sips?:(?P<user>[^@;>\s]+)@", re.IGNORECASE)


class SipMessageError(ValueError):
    pass


def request_uri(message: str) -> str:
    first_line = message.split("\r\n", 1)[0].split("\n", 1)[0]
    parts = first_line.split()
    if len(parts) != 3 or not parts[2].upper().startswith("SIP/"):
        raise SipMessageError(f"not a SIP request line: {first_line[:80]!r}")
    return parts[1]


def uri_user(uri: str) -> str:
    """The user part of a SIP URI or name-addr ('"Ann" <sip:1001@host>;tag=x' -> '1001'); '' if none."""
    match = _URI_USER.search(uri)
    return match.group("user") if match else ""


def header(message: str, name: str) -> str | None:
    """The first value of a header, matched case-insensitively; None when absent."""
    head = message.split("\r\n\r\n", 1)[0]
    wanted = name.lower()
    for line in head.splitlines()[1:]:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == wanted:
            return value.strip()
    return None


def parse_hostport(text: str) -> tuple[str, int | None]:
    """'10.0.0.1:5070' -> ('10.0.0.1', 5070); 'sip.example.com' -> ('sip.example.com', None)."""
    text = text.strip()
    if text.startswith("sip:"):
        text = text[4:]
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return text, None
