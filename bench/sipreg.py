"""Registers many SIP phones at once with digest auth (RFC 2617 MD5, qop=auth when offered).

SIPp 3.6 cannot take the auth user from an injection file, and one SIPp run per phone costs a
process start each. This client sends every REGISTER from one event loop, each phone from its own
loopback address (127.1.x.y): real phones have an address each, and the edge's flood protection
(pike) counts requests per source address. The Contact of every phone can point anywhere, e.g. at
one SIPp UAS that answers the calls of all of them.

    results = register_all(("127.0.0.1", 5060), [Phone("2000", "pw", "127.0.0.1:6000"), ...])
"""

from __future__ import annotations

import hashlib
import re
import secrets
import selectors
import socket
import time
from dataclasses import dataclass, field

REALM_DEFAULT = "callbox"


@dataclass
class Phone:
    user: str
    password: str
    contact: str                     # host:port the calls for this user go to
    source: str = "127.0.0.1"        # the address the REGISTER is sent from
    # filled in by register_all
    status: int | None = None
    expires: int | None = None
    error: str = ""
    sock: socket.socket | None = field(default=None, repr=False)
    call_id: str = ""
    cseq: int = 0
    pending: bytes = b""
    sent_at: float = 0.0
    tries: int = 0
    challenged: bool = False


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    """`Digest realm="x", nonce="y", qop="auth"` -> {"realm": "x", "nonce": "y", "qop": "auth"}."""
    value = value.strip()
    if value[:6].lower() == "digest":
        value = value[6:]
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("([^"]*)"|[^,\s]+)', value):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return params


def digest_authorization(challenge: dict[str, str], method: str, uri: str, user: str, password: str,
                         cnonce: str | None = None, nc: int = 1) -> str:
    realm, nonce = challenge.get("realm", REALM_DEFAULT), challenge["nonce"]
    algorithm = challenge.get("algorithm", "MD5")
    if algorithm.upper() != "MD5":
        raise ValueError(f"digest algorithm {algorithm} not supported")
    ha1 = _md5(f"{user}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        cnonce = cnonce or secrets.token_hex(8)
        ncs = f"{nc:08x}"
        response = _md5(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += [f'response="{response}"', "qop=auth", f'cnonce="{cnonce}"', f"nc={ncs}"]
    else:
        parts.append(f'response="{_md5(f"{ha1}:{nonce}:{ha2}")}"')
    parts.append("algorithm=MD5")
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)


def _headers(message: str) -> list[tuple[str, str]]:
    head = message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    out = []
    for line in head:
        if ":" in line:
            name, value = line.split(":", 1)
            out.append((name.strip().lower(), value.strip()))
    return out


def _register(phone: Phone, registrar: tuple[str, int], expires: int, authorization: str = "") -> bytes:
    host, port = phone.sock.getsockname()
    phone.cseq += 1
    ruri = f"sip:{registrar[0]}:{registrar[1]}"
    aor = f"sip:{phone.user}@{registrar[0]}:{registrar[1]}"
    lines = [
        f"REGISTER {ruri} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport",
        "Max-Forwards: 70",
        f"From: <{aor}>;tag={phone.call_id[:8]}",
        f"To: <{aor}>",
        f"Call-ID: {phone.call_id}",
        f"CSeq: {phone.cseq} REGISTER",
        f"Contact: <sip:{phone.user}@{phone.contact}>",
        f"Expires: {expires}",
        "User-Agent: callbox-bench",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def register_all(registrar: tuple[str, int], phones: list[Phone], expires: int = 3600,
                 timeout: float = 20.0, retransmit: float = 0.5, max_tries: int = 6,
                 window: int = 50) -> list[Phone]:
    """REGISTER (401, REGISTER with credentials, 200) for every phone; at most `window` in flight.

    Each phone's `status` is the final status code (200 on success) or None on timeout.
    """
    sel = selectors.DefaultSelector()
    waiting = list(reversed(phones))
    active: dict[int, Phone] = {}
    deadline = time.monotonic() + timeout

    def send(phone: Phone) -> None:
        phone.sock.sendto(phone.pending, registrar)
        phone.sent_at = time.monotonic()
        phone.tries += 1

    def finish(phone: Phone) -> None:
        sel.unregister(phone.sock)
        phone.sock.close()
        phone.sock = None
        active.pop(id(phone), None)

    try:
        while (waiting or active) and time.monotonic() < deadline:
            while waiting and len(active) < window:
                phone = waiting.pop()
                phone.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                phone.sock.bind((phone.source, 0))
                phone.call_id = f"{secrets.token_hex(10)}@{phone.source}"
                phone.pending = _register(phone, registrar, expires)
                sel.register(phone.sock, selectors.EVENT_READ, phone)
                active[id(phone)] = phone
                send(phone)
            for key, _ in sel.select(0.05):
                phone: Phone = key.data
                try:
                    data = phone.sock.recv(65535)
                except OSError as exc:
                    phone.error = str(exc)
                    finish(phone)
                    continue
                text = data.decode(errors="replace")
                m = re.match(r"SIP/2\.0 (\d{3})", text)
                if not m:
                    continue
                code = int(m.group(1))
                cseq = dict(_headers(text)).get("cseq", "")
                if not cseq.startswith(f"{phone.cseq} "):
                    continue                      # a late reply to an earlier try
                if code < 200:
                    continue
                if code in (401, 407) and not phone.challenged:
                    name = "www-authenticate" if code == 401 else "proxy-authenticate"
                    challenge = dict(_headers(text)).get(name)
                    if not challenge:
                        phone.status, phone.error = code, "challenge without header"
                        finish(phone)
                        continue
                    phone.challenged = True
                    auth = digest_authorization(parse_challenge(challenge), "REGISTER",
                                                f"sip:{registrar[0]}:{registrar[1]}", phone.user, phone.password)
                    phone.pending = _register(phone, registrar, expires, auth)
                    phone.tries = 0
                    send(phone)
                    continue
                phone.status = code
                if code == 200:
                    for name, value in _headers(text):
                        if name in ("contact", "m") and phone.contact in value:
                            e = re.search(r"expires=(\d+)", value)
                            phone.expires = int(e.group(1)) if e else expires
                    if phone.expires is None:
                        phone.error = "200 without our Contact"
                else:
                    phone.error = text.split("\r\n", 1)[0]
                finish(phone)
            now = time.monotonic()
            for phone in list(active.values()):
                if now - phone.sent_at >= retransmit:
                    if phone.tries >= max_tries:
                        phone.error = "no reply"
                        finish(phone)
                    else:
                        send(phone)
    finally:
        for phone in list(active.values()):
            phone.error = phone.error or "timed out"
            finish(phone)
    return phones


def source_address(index: int) -> str:
    """A distinct loopback address per phone: 127.1.0.1, 127.1.0.2, ... (the whole 127/8 is local)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"
