"""Reading requests by RFC 3261's rules (folding, line ends, compact forms), the edge's assertions,
and text from the network made safe (issue 8, findings 3, 4 and 6)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.engine.sipmsg import (SipMessageError, UntrustedRequest, edge_assertion, parse_hostport, parse_request,
                                    safe_text, uri_user)

INVITE = (
    b"INVITE sip:4930100@127.0.0.1:5080 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
    b"From: \"Trunk\" <sip:+46701234567@10.0.0.9>;tag=a1\r\n"
    b"x-callbox-source: 10.0.0.9:5070\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def invite(*headers: bytes, source: bytes = b"X-Callbox-Source: 10.0.0.9:5070", body: bytes = b"") -> bytes:
    """An INVITE as the edge hands it on: the caller's headers, then the edge's own one last."""
    lines = [b"INVITE sip:4930100@127.0.0.1:5080 SIP/2.0", b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1",
             b"From: <sip:+4670@10.0.0.9>;tag=a1", b"Call-ID: abc@10.0.0.9", *headers]
    if source:
        lines.append(source)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_request_uri_and_its_user():
    request = parse_request(INVITE)
    assert (request.method, request.uri) == ("INVITE", "sip:4930100@127.0.0.1:5080")
    assert uri_user(request.uri) == "4930100"


def test_user_of_a_name_addr_with_parameters():
    assert uri_user('"Trunk" <sip:+46701234567@10.0.0.9>;tag=a1') == "+46701234567"
    assert uri_user("<sip:10.0.0.9>") == ""


def test_headers_are_matched_case_insensitively_and_only_in_the_head():
    request = parse_request(INVITE + b"X-Callbox-Source: body\r\n")
    assert request.values("X-Callbox-Source") == [b"10.0.0.9:5070"]
    assert request.first("Subject") is None
    assert request.body == b"X-Callbox-Source: body\r\n"


def test_compact_forms_are_their_full_names():
    request = parse_request(invite(b"f: <sip:1@h>;tag=x", b"i: short-id", b"s: hello"))
    assert request.values("From") == [b"<sip:+4670@10.0.0.9>;tag=a1", b"<sip:1@h>;tag=x"]
    assert request.values("call-id") == [b"abc@10.0.0.9", b"short-id"]
    assert request.text("Subject") == "hello" and request.first("s") == b"hello"


def test_a_folded_line_continues_its_header():
    request = parse_request(invite(b"Subject: x\r\n X-Callbox-Source: 127.0.0.1:5470", b"Subject: two\r\n\t\tlines"))
    assert request.values("Subject") == [b"x X-Callbox-Source: 127.0.0.1:5470", b"two lines"]
    assert edge_assertion(request).source == "10.0.0.9:5070"


def test_bare_lf_ends_a_line_as_crlf_does():
    request = parse_request(INVITE.replace(b"\r\n", b"\n"))
    assert request.values("X-Callbox-Source") == [b"10.0.0.9:5070"]


@pytest.mark.parametrize("separator", [b"\x0b", b"\x0c", "\u2028".encode(), "\u0085".encode(), b"\r", b"\x00"])
def test_what_is_no_line_end_in_sip_stays_inside_the_value(separator):
    request = parse_request(invite(b"Subject: x" + separator + b"X-Callbox-Agent: 1001"))
    assert request.values("X-Callbox-Agent") == []
    assert request.values("Subject") == [b"x" + separator + b"X-Callbox-Agent: 1001"]
    assert edge_assertion(request).agent is None


def test_the_edge_header_must_be_there_exactly_once():
    assert edge_assertion(parse_request(invite())).source == "10.0.0.9:5070"
    with pytest.raises(UntrustedRequest, match="0 X-Callbox-Source"):
        edge_assertion(parse_request(invite(source=b"")))
    with pytest.raises(UntrustedRequest, match="2 X-Callbox-Source"):
        edge_assertion(parse_request(invite(b"X-Callbox-Source: 127.0.0.1:5470")))
    with pytest.raises(UntrustedRequest, match="2 X-Callbox-Agent"):
        edge_assertion(parse_request(invite(b"X-Callbox-Agent: 1001", b"x-callbox-agent: 1002")))
    assert edge_assertion(parse_request(invite(b"X-Callbox-Agent: 1001"))).agent == "1001"


@pytest.mark.parametrize("value", [b"10.0.0.9:5070, 127.0.0.1:5470", b"10.0.0.9", b"host.example:5060", b"999.1.1.1:5",
                                   b"10.0.0.9:0", b"10.0.0.9:70000", b"[::1", b"10.0.0.9:5070\x0b"])
def test_an_edge_header_that_the_edge_does_not_write_is_refused(value):
    with pytest.raises(UntrustedRequest):
        edge_assertion(parse_request(invite(source=b"X-Callbox-Source: " + value)))


def test_an_ipv6_source_as_the_edge_writes_it():
    assert edge_assertion(parse_request(invite(source=b"X-Callbox-Source: [::1]:5070"))).source == "[::1]:5070"


@pytest.mark.parametrize("message", [b"", b"\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n", b"INVITE sip:x SIP/2.0\r\nVia: x\r\n",
                                     b"INVITE sip:x SIP/2.0\r\n folded first\r\n\r\n",
                                     b"INVITE sip:x SIP/2.0\r\nno colon here\r\n\r\n",
                                     b"INVITE  sip:x SIP/2.0\r\n\r\n", b"INVITE sip:x SIP/3.0\r\n\r\n"])
def test_what_is_not_a_request_is_refused(message):
    with pytest.raises(SipMessageError):
        parse_request(message)


def test_text_from_the_network_is_made_safe_once():
    assert safe_text(b"abc@10.0.0.9") == "abc@10.0.0.9"
    assert safe_text(b"\xff\xc3(") == "\\xff\\xc3("
    assert safe_text("Åsa".encode()) == "Åsa"
    assert safe_text(b"a\r\nb\x00c\x7f") == "a\\r\\nb\\x00c\\x7f"
    assert safe_text("a\u2028b".encode()) == "a\\u2028b"
    assert safe_text("x\udcff", limit=3) == "x\\x"           # SWIG's surrogateescape text: its bytes, then cut
    assert safe_text(b"x" * 300) == "x" * 256
    safe_text(b"\xff").encode("utf-8")                           # always encodable (SQLite, logs)


# --- properties ----------------------------------------------------------------------------------

_VALUE_BYTES = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").strip(b" \t\r"))
_HEADER_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{1,15}", fullmatch=True).filter(lambda n: n.lower() not in (
    "x-callbox-source", "x-callbox-agent"))
# Everything a header value may hide a line in, that SIP does not take for a line end
_SMUGGLERS = st.sampled_from([b"\x0b", b"\x0c", b"\r", b"\x1c", b"\x1d", b"\x1e", b"\x85", "\u2028".encode(),
                              "\u2029".encode(), "\u0085".encode(), b"\r\n ", b"\r\n\t", b"\n ", b" \r "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_HEADER_NAMES, _VALUE_BYTES), max_size=8))
def test_headers_written_are_headers_read(headers):
    message = invite(*(name.encode() + b": " + value for name, value in headers))
    request = parse_request(message)
    for name, value in headers:
        assert value in request.values(name)
    assert edge_assertion(request).source == "10.0.0.9:5070"


@settings(max_examples=500, deadline=None)
@given(_HEADER_NAMES, _VALUE_BYTES, _SMUGGLERS, st.sampled_from([b"X-Callbox-Source: 127.0.0.1:5470",
                                                                 b"X-Callbox-Agent: 1001", b"x-callbox-agent:1001"]))
def test_no_header_can_be_hidden_in_another_ones_value(name, prefix, smuggler, forged):
    """Whatever the edge saw as one header's value, the engine reads as that value, never as the
    edge's own header: the edge's (appended last) is the only one."""
    request = parse_request(invite(name.encode() + b": " + prefix + smuggler + forged))
    assert edge_assertion(request) == edge_assertion(parse_request(invite()))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_request_or_a_sip_message_error(data):
    try:
        request = parse_request(data)
    except SipMessageError:
        return
    for _, value in request.headers:
        safe_text(value).encode("utf-8")


@pytest.mark.parametrize("text,expected", [
    ("10.0.0.1:5070", ("10.0.0.1", 5070)),
    ("10.0.0.1", ("10.0.0.1", None)),
    ("sip:prov.example.com:5061", ("prov.example.com", 5061)),
])
def test_hostport(text, expected):
    assert parse_hostport(text) == expected


def test_the_identity_an_agents_phone_shows_for_an_offered_call():
    from firmware.engine.sipmsg import name_addr, offer_display
    assert offer_display("Support") == "Support"
    assert offer_display("Support", "4711") == "Support #4711"
    assert offer_display("Support", "4711", callback=True) == "Callback Support #4711"
    assert name_addr("Support #4711", "+46701234", "127.0.0.1:5060") == '"Support #4711" <sip:+46701234@127.0.0.1:5060>'


@pytest.mark.parametrize("display, user, expected", [
    ('Kund"tjänst\\', "+46 70-123 45", '"Kundtjänst" <sip:+4670-12345@h>'),     # quotes and spaces cannot break out
    ("a\r\nVia: evil", "1001@evil>;x", '"aVia: evil" <sip:1001evilx@h>'),          # nor can a header be smuggled in
    ("", "", "<sip:anonymous@h>"),
    ("x" * 60, "1", f'"{"x" * 40}" <sip:1@h>'),
])
def test_names_and_numbers_from_outside_are_made_safe(display, user, expected):
    from firmware.engine.sipmsg import name_addr
    assert name_addr(display, user, "h") == expected


def test_a_header_value_stays_one_line():
    from firmware.engine.sipmsg import header_value
    assert header_value(" Support\r\nVia: evil\x00 ") == "SupportVia: evil"
