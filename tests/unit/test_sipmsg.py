import pytest

from firmware.engine.sipmsg import SipMessageError, header, parse_hostport, request_uri, uri_user

INVITE = (
    "INVITE sip:4930100@127.0.0.1:5080 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: \"Trunk\" <sip:+46701234567@10.0.0.9>;tag=a1\r\n"
    "x-callbox-source: 10.0.0.9:5070\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_request_uri_and_its_user():
    assert request_uri(INVITE) == "sip:4930100@127.0.0.1:5080"
    assert uri_user(request_uri(INVITE)) == "4930100"


def test_user_of_a_name_addr_with_parameters():
    assert uri_user('"Trunk" <sip:+46701234567@10.0.0.9>;tag=a1') == "+46701234567"
    assert uri_user("<sip:10.0.0.9>") == ""


def test_headers_are_matched_case_insensitively_and_only_in_the_head():
    assert header(INVITE, "X-Callbox-Source") == "10.0.0.9:5070"
    assert header(INVITE, "Subject") is None
    assert header(INVITE + "X-Callbox-Source: body\r\n", "x-callbox-source") == "10.0.0.9:5070"


def test_a_response_is_not_a_request():
    with pytest.raises(SipMessageError, match="not a SIP request line"):
        request_uri("SIP/2.0 200 OK\r\n\r\n")


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
