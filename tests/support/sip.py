"""Hand-made SIP over UDP, for what SIPp makes awkward: single requests, junk, floods."""

from __future__ import annotations

import re
import secrets
import socket
import time


def request(method: str, ruri: str, *, src: tuple[str, int], from_user: str = "tester",
            to_user: str | None = None, cseq_method: str | None = None, extra_headers: str = "",
            body: str = "") -> str:
    """A request as a SIP message text, with a fresh branch, tag and Call-ID."""
    host, port = src
    domain = ruri.split(":", 1)[1].split("@")[-1]          # sip:[user@]host:port -> host:port
    to = f"sip:{to_user}@{domain}" if to_user else ruri
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport",
        f"From: <sip:{from_user}@{host}:{port}>;tag={secrets.token_hex(4)}",
        f"To: <{to}>",
        f"Call-ID: {secrets.token_hex(8)}@{host}",
        f"CSeq: 1 {cseq_method or method}",
        f"Contact: <sip:{from_user}@{host}:{port}>",
        "Max-Forwards: 70",
    ]
    lines += [h for h in extra_headers.split("\r\n") if h]
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def reply(req: str, code: int, reason: str, to_tag: str = "edge-test") -> str:
    """A stateless reply to a request text: Via, From, To (tagged), Call-ID and CSeq copied."""
    head = req.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    copied = [h for h in head if h.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    copied = [h + f";tag={to_tag}" if h.lower().startswith("to:") and "tag=" not in h else h for h in copied]
    return "\r\n".join([f"SIP/2.0 {code} {reason}", *copied, "Content-Length: 0"]) + "\r\n\r\n"


def header(message: str, name: str) -> list[str]:
    """Every value of a header (by full name) in a message text."""
    head = message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    return [h.split(":", 1)[1].strip() for h in head if h.split(":", 1)[0].strip().lower() == name.lower()]


def udp_socket(host: str = "127.0.0.1", port: int = 0, *, receive_buffer: int = 0) -> socket.socket:
    """A bound UDP socket. receive_buffer: bytes the kernel may queue for it, for a test that reads
    a burst of replies (the default, about 200 kB, holds some 150 SIP replies: a busy test process
    loses the rest, and a lost reply reads as one the edge never sent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if receive_buffer:
        try:        # past net.core.rmem_max when the test may (root); capped at it otherwise
            s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), receive_buffer)
        except PermissionError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.bind((host, port))
    return s


def status_code(reply: str) -> int:
    m = re.match(r"SIP/2\.0 (\d{3}) ", reply)
    if not m:
        raise ValueError(f"not a SIP reply: {reply[:80]!r}")
    return int(m.group(1))


def wait_final(sock: socket.socket, timeout: float = 2.0, call_id: str | None = None) -> str | None:
    """The next final (>= 200) reply arriving on sock (for call_id, if given), or None if none came in time."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
        except TimeoutError:
            return None
        text = data.decode(errors="replace")
        if not text.startswith("SIP/2.0 ") or status_code(text) < 200:
            continue
        if call_id is None or header(text, "Call-ID") == [call_id]:
            return text
    return None


def send_and_wait_final(sock: socket.socket, message: str | bytes, dest: tuple[str, int],
                        timeout: float = 2.0) -> str | None:
    """Sends once and returns the final (>= 200) reply to it, or None if none came in time."""
    data = message.encode() if isinstance(message, str) else message
    sock.sendto(data, dest)
    call_id = header(data.decode(errors="replace"), "Call-ID")
    return wait_final(sock, timeout, call_id[0] if len(call_id) == 1 else None)


def options(dest: tuple[str, int], *, src_host: str = "127.0.0.1", src_port: int = 0,
            timeout: float = 0.5, attempts: int = 1) -> int | None:
    """OPTIONS sip:<dest> from src, sent up to `attempts` times (as a retransmission, every
    `timeout` s); the final reply's status code, or None."""
    with udp_socket(src_host, src_port) as s:
        msg = request("OPTIONS", f"sip:{dest[0]}:{dest[1]}", src=s.getsockname())
        for _ in range(attempts):
            reply = send_and_wait_final(s, msg, dest, timeout)
            if reply:
                return status_code(reply)
    return None
