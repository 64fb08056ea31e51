"""RFC 4475 (SIP torture test messages), section 3, as test vectors: every message of 3.1.1 (valid),
3.1.2 (invalid), 3.2 (the one single-message test of the transaction layer), 3.3 (application layer
semantics) and 3.4 (backward compatibility), byte for byte, with the RFC's name for it and what a
correct box must do with it (vector.py).

`adapt` turns a message into one that can be sent to a box on this machine: it changes addresses
only, each change written out below, so that replies come back to the test and nothing the box
might send on leaves the loopback network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support.rfc4475 import invalid, semantics, valid
from tests.support.rfc4475.vector import Expect, Vector, decode

VECTORS: list[Vector] = [*valid.VECTORS, *invalid.VECTORS, *semantics.VECTORS]

# The RFC's documentation addresses become loopback addresses of the same length (the SDP bodies'
# Content-Length stays right): whatever the box would send there stays on this machine.
SAME_LENGTH_LOOPBACK = [(b"192.0.2.", b"127.0.2."), (b"192.168.255.111", b"127.168.255.111")]
# Where the RFC's messages point a box onwards (a Route of an in-dialog request, a second Via of a
# response, a Route to 127.0.0.1:5080, a port where boxes on this machine may run their engine):
# the test's `elsewhere` socket, where nothing may ever arrive.
ONWARD_HOSTS = [b"services.example.com", b"255.255.255.255", b"127.0.0.1:5080"]

_REQUEST_URI_HOST = re.compile(rb"(sips?:)([^@\s>]*@)?([^;?>\s]+)")
_VIA_SENT_BY = re.compile(rb"SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)(\s+)([^\s;,]+)")


@dataclass(frozen=True)
class Addresses:
    edge: tuple[str, int]         # the box's SIP port: the Request-URI's host
    me: tuple[str, int]           # the test's socket: the top Via's sent-by, where replies go
    transport: str                # "UDP" or "TCP": the top Via's transport
    elsewhere: tuple[str, int]    # a socket of the test where nothing must arrive


def hostport(address: tuple[str, int]) -> bytes:
    return f"{address[0]}:{address[1]}".encode()


def adapt(message: bytes, to: Addresses) -> bytes:
    """The message with its addresses changed for the test's sockets; nothing else changes."""
    if not message.startswith(b"SIP/"):
        message = _request_uri_to(message, hostport(to.edge))
        message = _top_via_to(message, to.transport.encode(), hostport(to.me))
    for documentation, loopback in SAME_LENGTH_LOOPBACK:
        message = message.replace(documentation, loopback)
    for host in ONWARD_HOSTS:
        message = message.replace(host, hostport(to.elsewhere))
    return message


def _request_uri_to(message: bytes, edge: bytes) -> bytes:
    """The host[:port] of the first sip:/sips: URI of the start line (the Request-URI, however
    malformed the line is) becomes the edge's. Other schemes (3.3.2, 3.3.3) stay as they are."""
    start_line, rest = message.split(b"\r\n", 1)
    start_line = _REQUEST_URI_HOST.sub(lambda m: m.group(1) + (m.group(2) or b"") + edge, start_line, count=1)
    return start_line + b"\r\n" + rest


def _top_via_to(message: bytes, transport: bytes, me: bytes) -> bytes:
    """The transport and sent-by of the first Via (long or compact name, folded or not) become the
    test's own, so that the reply comes back over the transport the request was sent on."""
    head_end = message.find(b"\r\n\r\n")
    lines = message[:head_end if head_end >= 0 else len(message)].split(b"\r\n")
    offset = len(lines[0]) + 2
    for i, line in enumerate(lines[1:], start=1):
        name = line.split(b":", 1)[0].strip().lower()
        if line[:1] not in (b" ", b"\t") and name in (b"via", b"v"):
            end = offset + len(line)
            for follow in lines[i + 1:]:          # folded continuation lines belong to it
                if follow[:1] not in (b" ", b"\t"):
                    break
                end += 2 + len(follow)
            via = _VIA_SENT_BY.sub(lambda m: b"SIP/2.0/" + transport + m.group(2) + me, message[offset:end], count=1)
            return message[:offset] + via + message[end:]
        offset += len(line) + 2
    return message


__all__ = ["VECTORS", "Vector", "Expect", "Addresses", "adapt", "decode"]
