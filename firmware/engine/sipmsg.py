"""Reading what the engine needs from a received SIP request (the dialled number and a few headers),
and writing the identity an agent's phone shows for a call it is offered."""

from __future__ import annotations

import re

SOURCE_HEADER = "X-Callbox-Source"   # added by the edge: the address the request came from
AGENT_HEADER = "X-Callbox-Agent"     # added by the edge: the extension whose password the caller proved
# On the INVITE that rings an agent: the call's id (its CDR), its queue, what the caller keyed in
OFFER_CALL_HEADER = "X-Callbox-Call"
OFFER_QUEUE_HEADER = "X-Callbox-Queue"
OFFER_INPUT_HEADER = "X-Callbox-Caller-Input"

_URI_USER = re.compile(r"sips?:(?P<user>[^@;>\s]+)@", re.IGNORECASE)
# What may stand unescaped in a URI's user part and means something on a phone's display (RFC 3261 25.1)
_NOT_USER = re.compile(r"[^0-9A-Za-z+._-]")
_NOT_DISPLAY = re.compile(r'[\x00-\x1f\x7f"\\]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DISPLAY_MAX = 40


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


def name_addr(display: str, user: str, hostport: str) -> str:
    """'"Support #4711" <sip:+46701234@127.0.0.1:5060>': a From header's value that a phone shows.
    The user keeps the characters a URI allows unescaped (else "anonymous"); the display name loses
    quotes, backslashes and control characters, and is cut to DISPLAY_MAX characters."""
    user = _NOT_USER.sub("", user) or "anonymous"
    display = _NOT_DISPLAY.sub("", display).strip()[:DISPLAY_MAX]
    uri = f"<sip:{user}@{hostport}>"
    return f'"{display}" {uri}' if display else uri


def offer_display(queue_name: str, caller_input: str = "", callback: bool = False) -> str:
    """What an agent's phone shows beside the caller's number: the queue, what the caller keyed in
    (ACD3, a customer number for example), and whether it is a callback."""
    text = f"Callback {queue_name}" if callback else queue_name
    return f"{text} #{caller_input}" if caller_input else text


def header_value(text: str) -> str:
    """Text made safe as one header's value: no line breaks or other control characters."""
    return _CONTROL.sub("", text).strip()
