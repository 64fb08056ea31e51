"""Raw SIP exchanges as a hostile (or just odd) peer makes them: any bytes, over UDP or TCP, from a
chosen address, and every reply that comes back, read by the SIP framing rules.

    peer = Peer(("127.0.0.1", 0), "UDP", edge=("127.0.0.1", 5060))
    exchange = peer.exchange(b"OPTIONS sip:... SIP/2.0\r\n...")
    exchange.final        # the final reply (a Message), or None

Over TCP each exchange has a connection of its own, closed with a reset, so that a framing error
of one message cannot spoil the next and the source port is free again at once (a trunk is known by
address and port). A peer answers what the box asks of it as a user agent would: an ACK for every
final reply to an INVITE and, when the box took a call, an ACK and a BYE, so no call is left behind.
"""

from __future__ import annotations

import re
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field

from tests.support.ports import free_port

COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact", "l": "content-length",
           "c": "content-type"}


@dataclass
class Message:
    """A SIP message as read from the wire: its start line, its headers by lower-case full name
    (folded lines unfolded, compact names expanded), and its body."""
    raw: bytes
    start: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    @property
    def status(self) -> int | None:
        m = re.match(r"SIP/2\.0 (\d{3}) ", self.start + " ")
        return int(m.group(1)) if m else None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def parse(raw: bytes) -> Message:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    unfolded: list[str] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += " " + line.strip()
        else:
            unfolded.append(line)
    message = Message(raw, lines[0], body=body)
    for line in unfolded:
        name, sep, value = line.partition(":")
        if sep:
            name = name.strip().lower()
            message.headers.setdefault(COMPACT.get(name, name), []).append(value.strip())
    return message


def split_stream(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Whole messages at the start of a stream buffer (framed by Content-Length) and what is left."""
    messages = []
    while True:
        while buffer.startswith(b"\r\n"):            # keep-alive CRLFs between messages
            buffer = buffer[2:]
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return messages, buffer
        length = parse(buffer[:end + 4]).header("content-length") or "0"
        total = end + 4 + (int(length) if length.isdigit() else 0)
        if len(buffer) < total:
            return messages, buffer
        messages.append(buffer[:total])
        buffer = buffer[total:]


def call_ids(request: bytes) -> set[str]:
    return set(parse(request).headers.get("call-id", []))


@dataclass
class Exchange:
    request: bytes
    replies: list[Message]
    closed_by_box: bool = False       # TCP: the box closed the connection

    @property
    def final(self) -> Message | None:
        return next((r for r in self.replies if r.status is not None and r.status >= 200), None)

    @property
    def answered(self) -> bool:
        return self.final is not None

    def describe(self) -> str:
        got = ", ".join(r.start for r in self.replies) or "nothing"
        return f"{self.request[:2000]!r}\n  -> {got}"


class Peer:
    """An address of the test's that sends to the edge, over one transport. `source` is where
    replies come back to (the Via the messages carry); port 0 takes a free one."""

    def __init__(self, source: tuple[str, int], transport: str, edge: tuple[str, int]):
        if source[1] == 0:
            source = (source[0], free_port(source[0]))
        self.source, self.transport, self.edge = source, transport, edge
        self._udp: socket.socket | None = None
        if transport == "UDP":
            self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._udp.bind(source)

    def close(self) -> None:
        if self._udp:
            self._udp.close()

    # --- sending ---------------------------------------------------------------------------------

    def exchange(self, message: bytes, *, wait: float = 3.0, quiet: float = 0.3,
                 expect_final: bool = True) -> Exchange:
        """Sends one message and collects what comes back: until a final reply and `quiet` seconds
        more (late retransmissions, a second message in the same datagram), or `wait` seconds."""
        if self.transport == "UDP":
            return self._udp_exchange(message, wait, quiet, expect_final)
        return self._tcp_exchange(message, wait, quiet, expect_final)

    def _udp_exchange(self, message, wait, quiet, expect_final) -> Exchange:
        self._drain()
        self._udp.sendto(message, self.edge)
        exchange = Exchange(message, [])
        self._collect(exchange, lambda timeout: self._udp_receive(timeout), wait, quiet, expect_final)
        return exchange

    def _udp_receive(self, timeout: float) -> list[bytes]:
        self._udp.settimeout(max(timeout, 0.001))
        try:
            return [self._udp.recvfrom(65535)[0]]
        except TimeoutError:
            return []

    def _drain(self) -> None:
        while self._udp_receive(0.001):
            pass

    def _tcp_exchange(self, message, wait, quiet, expect_final) -> Exchange:
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A reset instead of FIN: no TIME_WAIT, so the same source port can connect again at once.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        exchange = Exchange(message, [])
        try:
            conn.bind(self.source)
            conn.settimeout(wait)
            conn.connect(self.edge)
            self._tcp_conn, self._tcp_buffer = conn, b""
            conn.sendall(message)
            self._collect(exchange, lambda timeout: self._tcp_receive(exchange, timeout), wait, quiet, expect_final)
        except (TimeoutError, ConnectionError, OSError):
            exchange.closed_by_box = True
        finally:
            conn.close()
        return exchange

    def _tcp_receive(self, exchange: Exchange, timeout: float) -> list[bytes]:
        if exchange.closed_by_box:
            time.sleep(timeout)
            return []
        self._tcp_conn.settimeout(max(timeout, 0.001))
        try:
            data = self._tcp_conn.recv(65535)
        except TimeoutError:
            return []
        except ConnectionError:
            data = b""
        if not data:
            exchange.closed_by_box = True
            return []
        messages, self._tcp_buffer = split_stream(self._tcp_buffer + data)
        return messages

    def _send(self, data: bytes) -> None:
        if self.transport == "UDP":
            self._udp.sendto(data, self.edge)
        else:
            try:
                self._tcp_conn.sendall(data)
            except OSError:
                pass

    def _collect(self, exchange: Exchange, receive, wait: float, quiet: float, expect_final: bool) -> None:
        wanted = call_ids(exchange.request)
        deadline = time.monotonic() + (wait if expect_final else quiet)
        while (left := deadline - time.monotonic()) > 0:
            for raw in receive(left):
                message = parse(raw)
                if message.status is None:
                    self._answer_request(message)
                    continue
                if wanted and message.header("call-id") not in wanted:
                    continue                      # a late reply to an earlier exchange
                exchange.replies.append(message)
                if message.status >= 200:
                    self._acknowledge(exchange.request, message)
                    deadline = min(deadline, time.monotonic() + quiet)

    # --- being a well-behaved user agent -------------------------------------------------------

    def _answer_request(self, request: Message) -> None:
        """The box asks something of us (a BYE of a call it ends): 200 OK, so it is not left waiting."""
        if request.start.startswith("ACK "):
            return
        lines = ["SIP/2.0 200 OK"]
        for name in ("via", "from", "to", "call-id", "cseq"):
            lines += [f"{name.title()}: {v}" for v in request.headers.get(name, [])]
        self._send(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())

    def _acknowledge(self, request: bytes, reply: Message) -> None:
        """ACK for a final reply to an INVITE; a call the box took is ended at once with a BYE."""
        cseq = (reply.header("cseq") or "").split()
        if len(cseq) != 2 or cseq[1] != "INVITE" or not cseq[0].isdigit():
            return
        start = request.split(b"\r\n", 1)[0].decode("utf-8", "replace").split(" ")
        if len(start) != 3 or not start[0] == "INVITE":
            return
        common = [f"From: {reply.header('from')}", f"To: {reply.header('to')}",
                  f"Call-ID: {reply.header('call-id')}", "Max-Forwards: 70"]
        if reply.status >= 300:      # the same transaction: its Via and Request-URI
            self._send(_message(f"ACK {start[1]} SIP/2.0", [f"Via: {reply.header('via')}", *common,
                                                            f"CSeq: {cseq[0]} ACK"]))
            return
        target = re.search(r"<([^>]*)>", reply.header("contact") or "")
        if not target:
            return
        routes = [f"Route: {r}" for r in reversed(reply.headers.get("record-route", []))]
        body = b""
        if reply.body and not _has_body(request):
            body = ANSWER_SDP   # a delayed offer: the offer came in the 200, the answer goes in the ACK
        for method, number, content in (("ACK", cseq[0], body), ("BYE", str(int(cseq[0]) + 1), b"")):
            via = f"Via: SIP/2.0/{self.transport} {self.source[0]}:{self.source[1]};branch=z9hG4bK{secrets.token_hex(8)};rport"
            headers = [via, *routes, *common, f"CSeq: {number} {method}"]
            if content:
                headers.append("Content-Type: application/sdp")
            self._send(_message(f"{method} {target.group(1)} SIP/2.0", headers, content))


ANSWER_SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              b"m=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")


def _has_body(request: bytes) -> bool:
    return bool(request.split(b"\r\n\r\n", 1)[-1].strip()) if b"\r\n\r\n" in request else False


def _message(start: str, headers: list[str], body: bytes = b"") -> bytes:
    return ("\r\n".join([start, *headers, f"Content-Length: {len(body)}"]) + "\r\n\r\n").encode() + body
