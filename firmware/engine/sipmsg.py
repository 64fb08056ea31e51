"""Reading a SIP request by RFC 3261's rules (the dialled number, the edge's assertions, a few
headers), and writing the identity an agent's phone shows for a call it is offered.

The request is read as the bytes that arrived: a header line ends only at CRLF (or a bare LF, as
kamailio and pjsip also accept), a line that starts with a space or tab continues the header above
it (RFC 3261 7.3.1 folding), and compact names (`f`, `i`, ...) mean their full ones. So a vertical
tab, a form feed, a bare CR or U+2028 inside a value stays inside that value, as it does for the edge,
which removes every X-Callbox-* header from outside before it appends its own.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SOURCE_HEADER = "X-Callbox-Source"   # added by the edge: the address the request came from
AGENT_HEADER = "X-Callbox-Agent"     # added by the edge: the extension whose password the caller proved
# On the INVITE that rings an agent: the call's id (its CDR), its queue, what the caller keyed in
OFFER_CALL_HEADER = "X-Callbox-Call"
OFFER_QUEUE_HEADER = "X-Callbox-Queue"
OFFER_INPUT_HEADER = "X-Callbox-Caller-Input"

# RFC 3261 7.3.3 and the IANA registry of compact forms
COMPACT_FORMS = {
    "a": "accept-contact", "b": "referred-by", "c": "content-type", "d": "request-disposition",
    "e": "content-encoding", "f": "from", "i": "call-id", "j": "reject-contact", "k": "supported",
    "l": "content-length", "m": "contact", "n": "identity-info", "o": "event", "r": "refer-to",
    "s": "subject", "t": "to", "u": "allow-events", "v": "via", "x": "session-expires", "y": "identity",
}
# token (RFC 3261 25.1): header names and methods
_TOKEN = rb"[A-Za-z0-9.!%*_+`'~-]+"
_REQUEST_LINE = re.compile(rb"(?P<method>" + _TOKEN + rb") (?P<uri>[\x21-\x7e]+) SIP/2\.0", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"(?P<name>" + _TOKEN + rb")[ \t]*:(?P<value>.*)", re.DOTALL)
_WSP = b" \t"
# What the edge writes: "<IPv4>:<port>" or "[<IPv6>]:<port>", and an extension (digest user name)
_SOURCE_VALUE = re.compile(r"(?P<host>[0-9.]{7,15}|\[[0-9A-Fa-f:.]{2,45}\]):(?P<port>[0-9]{1,5})")
_EXTENSION_VALUE = re.compile(r"[0-9A-Za-z+._-]{1,64}")

_URI_USER = re.compile(r"sips?:(?P<user>[^@;>\s]+)@", re.IGNORECASE)
# What may stand unescaped in a URI's user part and means something on a phone's display (RFC 3261 25.1)
_NOT_USER = re.compile(r"[^0-9A-Za-z+._-]")
_NOT_DISPLAY = re.compile(r'[\x00-\x1f\x7f"\\]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters that break a log line or a page's text: C0/C1 controls and Unicode's line separators
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
DISPLAY_MAX = 40
TEXT_MAX = 256


class SipMessageError(ValueError):
    pass


class UntrustedRequest(SipMessageError):
    """The edge's assertion is missing, doubled or malformed: the request cannot be trusted."""


@dataclass(frozen=True)
class SipRequest:
    method: str
    uri: str
    headers: tuple[tuple[str, bytes], ...]    # (full name in lower case, unfolded value), in order
    body: bytes

    def values(self, name: str) -> list[bytes]:
        """Every value of a header (each line of it; by full or compact name, any case)."""
        wanted = _full_name(name.lower())
        return [value for key, value in self.headers if key == wanted]

    def first(self, name: str) -> bytes | None:
        found = self.values(name)
        return found[0] if found else None

    def text(self, name: str) -> str:
        """The first value of a header made safe to store and log ('' when absent)."""
        value = self.first(name)
        return safe_text(value) if value is not None else ""


@dataclass(frozen=True)
class EdgeAssertion:
    """What the edge tells the engine about a request."""
    source: str              # "ip:port" the request came from
    agent: str | None        # the extension whose password the caller proved, if any


def _full_name(name: str) -> str:
    return COMPACT_FORMS.get(name, name)


def parse_request(data: bytes) -> SipRequest:
    """A SIP request from its bytes. Raises SipMessageError when it is not one by RFC 3261's grammar."""
    lines, body = _head_lines(data)
    if not lines:
        raise SipMessageError("empty message")
    request_line = _REQUEST_LINE.fullmatch(lines[0])
    if request_line is None:
        raise SipMessageError(f"not a SIP request line: {safe_text(lines[0][:80])!r}")
    headers: list[tuple[str, bytearray]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            if not headers:
                raise SipMessageError("a continuation line before the first header")
            folded = line.strip(_WSP)
            if folded:
                value = headers[-1][1]
                if value:
                    value += b" "
                value += folded
            continue
        match = _HEADER_LINE.fullmatch(line)
        if match is None:
            raise SipMessageError(f"not a header line: {safe_text(line[:80])!r}")
        name = _full_name(match.group("name").decode("ascii").lower())
        headers.append((name, bytearray(match.group("value").strip(_WSP))))
    return SipRequest(method=request_line.group("method").decode("ascii").upper(),
                      uri=request_line.group("uri").decode("ascii"),
                      headers=tuple((name, bytes(value)) for name, value in headers), body=body)


def _head_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """The lines of the start line and headers (line ends removed) and the body after the empty line."""
    lines: list[bytes] = []
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            raise SipMessageError("the header section has no end (no empty line)")
        line = data[start:end]
        if line.endswith(b"\r"):
            line = line[:-1]
        start = end + 1
        if line:
            lines.append(line)
        elif lines:                       # the empty line ends the head; empty lines before the start line are skipped
            return lines, data[start:]


def edge_assertion(request: SipRequest) -> EdgeAssertion:
    """The edge's X-Callbox-Source (exactly one, always) and X-Callbox-Agent (at most one). The edge
    removes both from whatever arrives and appends its own, so a second one is forged: refused."""
    sources = request.values(SOURCE_HEADER)
    if len(sources) != 1:
        raise UntrustedRequest(f"{len(sources)} {SOURCE_HEADER} headers (the edge writes exactly one)")
    source = _SOURCE_VALUE.fullmatch(sources[0].decode("ascii", "replace"))
    if source is None or not _is_ip(source.group("host").strip("[]")) or not 0 < int(source.group("port")) < 65536:
        raise UntrustedRequest(f"{SOURCE_HEADER} is not an address: {safe_text(sources[0][:80])!r}")
    agents = request.values(AGENT_HEADER)
    if len(agents) > 1:
        raise UntrustedRequest(f"{len(agents)} {AGENT_HEADER} headers (the edge writes at most one)")
    agent = None
    if agents:
        agent_text = agents[0].decode("ascii", "replace")
        if _EXTENSION_VALUE.fullmatch(agent_text) is None:
            raise UntrustedRequest(f"{AGENT_HEADER} is not an extension: {safe_text(agents[0][:80])!r}")
        agent = agent_text
    return EdgeAssertion(source=f"{source.group('host')}:{int(source.group('port'))}", agent=agent)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def safe_text(raw: bytes | str, limit: int = TEXT_MAX) -> str:
    """Text from the network made safe, once, to store and to log: bytes that are not UTF-8 are
    written as \\xNN escapes, control characters and line separators as their escapes, and it is
    cut to `limit` characters."""
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", "backslashreplace")
    else:
        text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = _UNSAFE_TEXT.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text[:limit]


def uri_user(uri: str) -> str:
    """The user part of a SIP URI or name-addr ('"Ann" <sip:1001@host>;tag=x' -> '1001'); '' if none."""
    match = _URI_USER.search(uri)
    return match.group("user") if match else ""


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


def offer_headers(call_id: int, queue_name: str, caller_input: str) -> dict[str, str]:
    """The headers that carry what the phone's display shows, for phones and tools that read them
    (empty ones left out)."""
    headers = {OFFER_CALL_HEADER: str(call_id), OFFER_QUEUE_HEADER: queue_name, OFFER_INPUT_HEADER: caller_input}
    return {name: header_value(value) for name, value in headers.items() if header_value(value)}
