"""The line test: asks each SIP trunk whether it answers (a SIP OPTIONS from the box, RFC 3261
11), and shows what the engine knows of it. Analog and ISDN trunk cards come with issue 11; their
test (line voltage, dial tone) will be added here then.

The reply is read by the rules of a SIP status line (RFC 3261 7.2) and matched to the request by
its Call-ID; anything else that arrives on the socket is ignored."""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import time
from dataclasses import dataclass

from firmware.engine.sipmsg import parse_hostport

SIP_PORT = 5060
STATUS_LINE = re.compile(rb"^SIP/2\.0 ([1-6][0-9][0-9]) ([^\r\n]*)\r?\n")
CALL_ID = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)\r?$", re.IGNORECASE | re.MULTILINE)


@dataclass
class OptionsResult:
    target: str
    code: int | None
    reason: str
    milliseconds: float | None

    def line(self) -> str:
        if self.code is None:
            return f"{self.target}: {self.reason}"
        return f"{self.target}: {self.code} {self.reason} in {self.milliseconds:.0f} ms"


def options_request(host: str, port: int, local: tuple[str, int], call_id: str) -> bytes:
    branch = "z9hG4bK" + secrets.token_hex(8)
    tag = secrets.token_hex(4)
    local_host = f"[{local[0]}]" if ":" in local[0] else local[0]
    target = f"[{host}]" if ":" in host else host
    lines = [
        f"OPTIONS sip:{target}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_host}:{local[1]};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:linetest@{local_host}>;tag={tag}",
        f"To: <sip:{target}:{port}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:linetest@{local_host}:{local[1]}>",
        "Accept: application/sdp",
        "User-Agent: Callbox console line test",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_options(address: str, timeout: float = 3.0) -> OptionsResult:
    """One OPTIONS to a trunk's `host` or `host:port`; the first final answer counts."""
    try:
        host, port = parse_hostport(address)
    except ValueError as exc:
        return OptionsResult(address, None, f"address not understood: {exc}", None)
    port = port or SIP_PORT
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        return OptionsResult(address, None, f"name does not resolve: {exc}", None)
    family, _, _, _, sockaddr = info
    call_id = secrets.token_hex(12) + "@callbox"
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            local = sock.getsockname()[:2]
            started = time.monotonic()
            sock.send(options_request(str(ipaddress.ip_address(sockaddr[0])), port, local, call_id))
            deadline = started + timeout
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                reply = sock.recv(65535)
                status = STATUS_LINE.match(reply)
                matched = CALL_ID.search(reply)
                if status is None or matched is None or matched.group(1).strip() != call_id.encode():
                    continue        # not the answer to our request
                code = int(status.group(1))
                if code < 200:
                    continue        # provisional: wait for the final answer
                reason = status.group(2).decode("utf-8", errors="replace")
                reason = "".join(c if c.isprintable() else "?" for c in reason)[:80]
                return OptionsResult(address, code, reason, (time.monotonic() - started) * 1000)
        except TimeoutError:
            pass
        except ConnectionRefusedError:
            return OptionsResult(address, None, "refused (ICMP port unreachable: nothing listens there)", None)
        except OSError as exc:
            return OptionsResult(address, None, f"network error: {exc.strerror or exc}", None)
    return OptionsResult(address, None, f"no answer within {timeout:.0f} s", None)
