"""Checking a session description (RFC 8866) before pjsua2 acts on it: what the box cannot use ends
in a 488, never in pjmedia.

pjmedia takes a `c=` line as it is: `c=IN IP4 ::1` became an IPv6 address on an IPv4 socket and
aborted the engine (pj_sockaddr_get_len), and a host name would be looked up in the engine's only
thread. The box talks RTP over IPv4 to literal addresses, so every stream that is not rejected
(port 0) must have one, and so must its `a=rtcp`.
"""

from __future__ import annotations

import ipaddress
import re

# <type>=<value>: one lower-case letter (RFC 8866 5)
_LINE = re.compile(rb"(?P<type>[a-z])=(?P<value>[^\x00\r\n]*)")
_MEDIA = re.compile(rb"(?P<media>[a-z0-9_.-]+) (?P<port>[0-9]{1,5})(?P<count>/[0-9]+)? "
                    rb"(?P<proto>[A-Za-z0-9/_.-]+)(?P<formats>( [\x21-\x7e]+)+)")
_CONNECTION = re.compile(rb"IN IP4 (?P<address>[0-9.]{7,15})")
_RTCP = re.compile(rb"rtcp:(?P<port>[0-9]{1,5})(?: (?P<connection>.*))?")
MAX_SDP = 16384


class UnusableSdp(ValueError):
    """The description breaks RFC 8866's grammar or offers what the box cannot use (answered 488)."""


def check(sdp: bytes | str) -> None:
    """Raises UnusableSdp with the reason unless every stream the box could take has a port and
    an IPv4 literal address it can send to."""
    data = sdp.encode("utf-8", "surrogateescape") if isinstance(sdp, str) else sdp
    if len(data) > MAX_SDP:
        raise UnusableSdp(f"description of {len(data)} bytes")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    parsed: list[tuple[bytes, bytes]] = []
    for number, line in enumerate(lines, 1):
        line = line[:-1] if line.endswith(b"\r") else line
        match = _LINE.fullmatch(line)
        if match is None:
            raise UnusableSdp(f"line {number} is not <type>=<value>: {line[:60]!r}")
        parsed.append((match.group("type"), match.group("value")))
    if not parsed or parsed[0] != (b"v", b"0"):
        raise UnusableSdp("the first line is not v=0")
    types = [kind for kind, _ in parsed]
    first_media = types.index(b"m") if b"m" in types else len(types)
    for required in (b"o", b"s", b"t"):
        if required not in types[:first_media]:
            raise UnusableSdp(f"no {required.decode()}= line in the session part")
    session_connection = _connection_of(parsed[:first_media])
    audio = 0
    for start, end in _media_sections(types, first_media):
        kind, value = parsed[start]
        media = _MEDIA.fullmatch(value)
        if media is None:
            raise UnusableSdp(f"not a media line: m={value[:60]!r}")
        port = int(media.group("port"))
        if port == 0:
            continue                      # a stream rejected or not used: nothing is sent to it
        if port > 65535 or media.group("count"):
            raise UnusableSdp(f"media port {media.group('port').decode()}{(media.group('count') or b'').decode()}")
        section = parsed[start + 1:end]
        connection = _connection_of(section) or session_connection
        if connection is None:
            raise UnusableSdp(f"m={media.group('media').decode()} has no c= line")
        _check_address(connection)
        for attribute in (v for k, v in section if k == b"a" and v.startswith(b"rtcp:")):
            _check_rtcp(attribute)
        if media.group("media") == b"audio":
            audio += 1
    if audio == 0:
        raise UnusableSdp("no audio stream")


def _media_sections(types: list[bytes], first_media: int):
    starts = [i for i in range(first_media, len(types)) if types[i] == b"m"]
    return zip(starts, starts[1:] + [len(types)])


def _connection_of(lines: list[tuple[bytes, bytes]]) -> bytes | None:
    connections = [value for kind, value in lines if kind == b"c"]
    if len(connections) > 1:
        raise UnusableSdp("more than one c= line (several addresses)")
    return connections[0] if connections else None


def _check_address(connection: bytes) -> None:
    match = _CONNECTION.fullmatch(connection)
    if match is None:
        raise UnusableSdp(f"connection not IN IP4 <address>: {connection[:60]!r}")
    try:
        address = ipaddress.IPv4Address(match.group("address").decode("ascii"))
    except ValueError:
        raise UnusableSdp(f"not an IPv4 address: {match.group('address')[:60]!r}") from None
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        raise UnusableSdp(f"not a unicast address: {address}")


def _check_rtcp(attribute: bytes) -> None:
    match = _RTCP.fullmatch(attribute)
    if match is None or not 0 < int(match.group("port")) < 65536:
        raise UnusableSdp(f"a={attribute[:60]!r}")
    if match.group("connection") is not None:
        _check_address(match.group("connection"))


def offer_refusal(content_type: str, body: bytes) -> str | None:
    """Why an INVITE's offer cannot be used (answered 488), or None. An INVITE without a body is a
    delayed offer (RFC 3261 13.2.1): the box offers in its 200 and takes the answer from the ACK."""
    if not body:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        if media_type != "application/sdp":
            raise UnusableSdp(f"a body of type {media_type!r}")
        check(body)
    except UnusableSdp as exc:
        return str(exc)
    return None
