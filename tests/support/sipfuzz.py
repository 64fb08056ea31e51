"""Mutated SIP requests for a bounded fuzz run against a live box (hypothesis strategies).

A case starts from a well-formed request a peer could send (INVITE with or without SDP, REGISTER,
an out-of-dialog BYE, a re-INVITE or BYE inside a dialog the box never had, OPTIONS) and applies a
few named mutations. Each mutation says whether the request still deserves an answer: it does as
long as its start line and top Via are intact and it is not an ACK (RFC 3261 8.2 and 18.2.1: a
request the box can read gets a final reply, one it cannot read may be dropped), and which finding
of issue 8 it touches, if any.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from hypothesis import strategies as st

# A reply copies these (RFC 3261 8.2.6.2): with one of them missing, doubled or unreadable the box
# cannot build an answer, so such a request may be dropped.
COPIED_INTO_REPLIES = {"via", "from", "to", "call-id", "cseq"}
HUGE_NUMBERS = [2**63, 2**63 - 1, 2**64 + 1, 10**25, 2**70 + 3]
SAFE_CONTROL = [b"\x0b", b"\x0c", "\u2028".encode(), "\u0085".encode()]


@dataclass(frozen=True)
class Request:
    method: str
    ruri: str
    headers: tuple[tuple[str, bytes], ...]
    body: bytes = b""
    start_line: bytes | None = None          # set when a mutation broke the start line itself
    raw_tail: bytes = b""                     # octets after the message (or instead of its end)
    truncate_at: int | None = None
    length_fixed: bool = False                # a mutation wrote its own Content-Length
    deserves_answer: bool = True
    findings: frozenset[int] = frozenset()
    mutations: tuple[str, ...] = ()

    def to_bytes(self) -> bytes:
        start = self.start_line or f"{self.method} {self.ruri} SIP/2.0".encode()
        headers = list(self.headers)
        if not self.length_fixed:
            headers.append(("Content-Length", str(len(self.body)).encode()))
        data = start + b"\r\n" + b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + self.body
        data += self.raw_tail
        return data[:self.truncate_at] if self.truncate_at is not None else data

    def but(self, mutation: str, **changes) -> Request:
        return replace(self, mutations=self.mutations + (mutation,), **changes)

    def with_header(self, name: str, value: bytes) -> Request:
        return replace(self, headers=self.headers + ((name, value),))

    def header_index(self, name: str) -> int | None:
        return next((i for i, (n, _) in enumerate(self.headers) if n.lower() == name.lower()), None)


@dataclass(frozen=True)
class Where:
    """The addresses a case is written for."""
    edge: tuple[str, int]
    me: tuple[str, int]
    transport: str
    did: str                                  # a number the box answers (a trunk call is queued)
    trunk: tuple[str, int]                    # the trunk a forged X-Callbox-Source names
    elsewhere: tuple[str, int]                # where nothing may ever be sent on to
    agent: str = "1001"


def sdp(where: Where, connection: bytes = b"c=IN IP4 127.0.0.1", media: bytes | None = None) -> bytes:
    port = where.me[1] + 2 if where.me[1] < 65000 else 40000
    media = media or f"m=audio {port} RTP/AVP 8 101".encode()
    return (b"v=0\r\no=fuzz 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" + connection + b"\r\nt=0 0\r\n" + media +
            b"\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")


def base_request(kind: str, user: str, where: Where) -> Request:
    host, port = where.me
    edge = f"{where.edge[0]}:{where.edge[1]}"
    method = {"INVITE": "INVITE", "INVITE-no-SDP": "INVITE", "re-INVITE": "INVITE", "in-dialog-BYE": "BYE"}.get(kind, kind)
    ruri = f"sip:{edge}" if kind == "REGISTER" else f"sip:{user}@{edge}"
    to_tag = b";tag=" + secrets.token_hex(4).encode() if kind in ("re-INVITE", "in-dialog-BYE") else b""
    headers = [
        ("Via", f"SIP/2.0/{where.transport} {host}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport".encode()),
        ("Max-Forwards", b"70"),
        ("From", f"\"Fuzz\" <sip:fuzz@{host}:{port}>;tag={secrets.token_hex(4)}".encode()),
        ("To", f"<sip:{user}@{edge}>".encode() + to_tag),
        ("Call-ID", f"{secrets.token_hex(10)}@fuzz".encode()),
        ("CSeq", f"{100 + secrets.randbelow(900)} {method}".encode()),   # fixed width: see requests()
        ("Contact", f"<sip:fuzz@{host}:{port};transport={where.transport.lower()}>".encode()),
        ("Subject", b"torture"),
    ]
    if kind == "REGISTER":
        headers.append(("Expires", b"3600"))
    body = b""
    if kind in ("INVITE", "re-INVITE"):
        headers.append(("Content-Type", b"application/sdp"))
        body = sdp(where)
    findings = frozenset({1}) if kind == "INVITE-no-SDP" else frozenset()
    return Request(method, ruri, tuple(headers), body, findings=findings, mutations=(kind,))


# --- mutations: each takes (request, where, draw) and returns the mutated request -----------------

def fold_a_header(r: Request, where: Where, draw) -> Request:
    i = draw(st.integers(0, len(r.headers) - 1))
    name, value = r.headers[i]
    # CSeq is left alone: kamailio cannot read a folded CSeq (RFC 4475 wsinv, a strict xfail of
    # test_torture.py); a header folded once is not folded again.
    if name == "CSeq" or b"\r\n" in value:
        return r
    cut = draw(st.integers(0, len(value)))
    if not value[cut - 1:cut].isspace() and not value[cut:cut + 1].isspace():
        cut = value.find(b" ", cut) if b" " in value[cut:] else len(value)
    folded = value[:cut] + b"\r\n " + value[cut:].lstrip()      # RFC 3261 7.3.1: LWS may be folded
    headers = r.headers[:i] + ((name, folded),) + r.headers[i + 1:]
    return r.but(f"fold {name}", headers=headers)


def forge_trust_header(r: Request, where: Where, draw) -> Request:
    """An X-Callbox-* line hidden in another header (finding 3, 4): folded, after \\x0b, \\x0c, U+2028."""
    name = draw(st.sampled_from(["X-Callbox-Source", "X-Callbox-Agent"]))
    value = f"{where.trunk[0]}:{where.trunk[1]}" if name == "X-Callbox-Source" else where.agent
    how = draw(st.sampled_from(["fold", "plain", *range(len(SAFE_CONTROL))]))
    if how == "plain":                   # kamailio strips it: the easy case
        return r.but(f"plain {name}", headers=r.headers + ((name, value.encode()),))
    sep = b"\r\n " if how == "fold" else SAFE_CONTROL[how]
    finding = 3 if name == "X-Callbox-Source" else 4
    smuggled = ("Subject", b"hello" + sep + f"{name}: {value}".encode())
    return r.but(f"smuggled {name} after {sep!r}", headers=r.headers + (smuggled,),
                 findings=r.findings | {finding})


def huge_number(r: Request, where: Where, draw) -> Request:
    name = draw(st.sampled_from(["CSeq", "Content-Length", "Max-Forwards", "Expires"]))
    number = str(draw(st.sampled_from(HUGE_NUMBERS))).encode()
    headers = [h for h in r.headers if h[0].lower() != name.lower()]
    value = number + f" {r.method}".encode() if name == "CSeq" else number
    return r.but(f"huge {name}", headers=tuple(headers) + ((name, value),),
                 length_fixed=r.length_fixed or name == "Content-Length")


def drop_a_header(r: Request, where: Where, draw) -> Request:
    i = draw(st.integers(0, len(r.headers) - 1))
    name = r.headers[i][0]
    return r.but(f"drop {name}", headers=r.headers[:i] + r.headers[i + 1:],
                 deserves_answer=r.deserves_answer and name.lower() not in COPIED_INTO_REPLIES)


def duplicate_a_header(r: Request, where: Where, draw) -> Request:
    i = draw(st.integers(0, len(r.headers) - 1))
    name, value = r.headers[i]
    twin = value.replace(b"@", b"-twin@", 1) if name in ("Call-ID", "From", "To") else value
    return r.but(f"duplicate {name}", headers=r.headers + ((name, twin),),
                 deserves_answer=r.deserves_answer and name.lower() not in COPIED_INTO_REPLIES)


def not_utf8(r: Request, where: Where, draw) -> Request:
    """Octets that are not UTF-8 in a field the engine reads (finding 6)."""
    name = draw(st.sampled_from(["Call-ID", "From", "To", "Subject", "Contact"]))
    junk = draw(st.sampled_from([b"\xff\xc3(", b"\xc0\xaf", b"\xed\xa0\x80", b"\xfe"]))
    i = r.header_index(name)
    if i is None:
        return r
    value = r.headers[i][1]
    if name in ("From", "Contact"):
        value = value.replace(b"Fuzz", junk) if b"Fuzz" in value else value.replace(b"fuzz@", b"fu" + junk + b"@")
    elif name == "To" and value.startswith(b'"'):
        # Drawn twice: the display name changes, a second quoted string would be a malformed To
        # (kamailio's parser cannot read it, so no reply can be built: not what finding 6 is about).
        value = b'"' + junk + value[value.index(b'"', 1):]
    elif name == "To":
        value = value.replace(b"<sip:", b"\"" + junk + b"\" <sip:", 1)
    else:
        value = junk + value
    return r.but(f"not UTF-8 in {name}", headers=r.headers[:i] + ((name, value),) + r.headers[i + 1:],
                 findings=r.findings | {6})


BAD_CONNECTIONS = [(b"c=IN IP4 ::1", 2), (b"c=IN IP6 ::1", None), (b"c=IN IP4 999.1.1.1", None),
                   (b"c=IN IP4", None), (b"c=IN IP4 127.0.0.1/127/3", None), (b"c=XX", None)]
BAD_MEDIA = [b"m=audio 99999 RTP/AVP 8", b"m=audio 0 RTP/AVP 8", b"m=video 5000 RTP/AVP 31",
             b"m=audio 5000 RTP/AVP", b"m=audio 5000 RTP/SAVP 8", b"m=audio -1 RTP/AVP 8"]


def bad_sdp(r: Request, where: Where, draw) -> Request:
    """An SDP the box cannot use (finding 2 for c=IN IP4 ::1): a 488, never an abort."""
    if not r.body:
        return r
    if draw(st.booleans()):
        line, finding = draw(st.sampled_from(BAD_CONNECTIONS))
        body = sdp(where, connection=line)
    else:
        line, finding = draw(st.sampled_from(BAD_MEDIA)), None
        body = sdp(where, media=line)
    return r.but(f"SDP {line.decode()}", body=body, findings=r.findings | ({finding} if finding else set()))


def route_elsewhere(r: Request, where: Where, draw) -> Request:
    """A Route to somewhere else: an edge relays it only along a dialog it knows (finding 5)."""
    hop = f"<sip:{where.elsewhere[0]}:{where.elsewhere[1]};lr>".encode()
    first = draw(st.booleans())
    route = hop if first else f"<sip:{where.edge[0]}:{where.edge[1]};lr>, ".encode() + hop
    in_dialog = any(n == "To" and b";tag=" in v for n, v in r.headers)
    return r.but("Route elsewhere", headers=r.headers + (("Route", route),),
                 findings=r.findings | ({5} if in_dialog else set()))


def junk_in_a_value(r: Request, where: Where, draw) -> Request:
    i = draw(st.integers(0, len(r.headers) - 1))
    name = r.headers[i][0]
    junk = draw(st.binary(min_size=1, max_size=24).filter(lambda b: b"\r" not in b and b"\n" not in b))
    return r.but(f"junk in {name}", headers=r.headers[:i] + ((name, junk),) + r.headers[i + 1:],
                 deserves_answer=r.deserves_answer and name.lower() not in COPIED_INTO_REPLIES)


def broken_start_line(r: Request, where: Where, draw) -> Request:
    start = f"{r.method} {r.ruri} SIP/2.0".encode()
    how = draw(st.sampled_from(["version", "no-uri", "spaces", "junk"]))
    broken = {"version": start.replace(b"SIP/2.0", b"SIP/3.1"), "no-uri": f"{r.method} SIP/2.0".encode(),
              "spaces": start.replace(b" ", b"   "), "junk": start[:4] + b"\x00\xff" + start[4:]}[how]
    return r.but(f"start line {how}", start_line=broken, deserves_answer=False)


def truncated(r: Request, where: Where, draw) -> Request:
    length = len(r.to_bytes())
    return r.but("truncated", truncate_at=draw(st.integers(1, max(1, length - 1))), deserves_answer=False)


MUTATIONS = [fold_a_header, forge_trust_header, huge_number, drop_a_header, duplicate_a_header, not_utf8,
             bad_sdp, route_elsewhere, junk_in_a_value, broken_start_line, truncated]
KINDS = ["INVITE", "INVITE-no-SDP", "REGISTER", "BYE", "re-INVITE", "in-dialog-BYE", "OPTIONS"]


@st.composite
def requests(draw, where: Where, mutations=MUTATIONS):
    """A mutated request for `where`, with 0 to 3 mutations. Branch, tags and Call-ID are random
    (every case is a new transaction) but of fixed length, so hypothesis sees the same choices."""
    kind = draw(st.sampled_from(KINDS))
    user = draw(st.sampled_from([where.did, "999999", "*44", where.agent]))
    request = base_request(kind, user, where)
    for mutate in draw(st.lists(st.sampled_from(mutations), max_size=3)):
        request = mutate(request, where, draw)
    if request.method == "ACK":
        request = replace(request, deserves_answer=False)
    return request


__all__ = ["Request", "Where", "requests", "MUTATIONS", "KINDS", "base_request"]
