"""Session descriptions the box can use, and those it answers with 488 (issue 8, finding 2)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.engine.sdp import UnusableSdp, check

SESSION = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\n{session}t=0 0\r\n"
AUDIO = "m=audio {port} RTP/AVP 8 0 101\r\n{media}a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"


def sdp(session: str = "c=IN IP4 10.0.0.9\r\n", port: str = "40000", media: str = "", more: str = "") -> str:
    return SESSION.format(session=session) + AUDIO.format(port=port, media=media) + more


@pytest.mark.parametrize("text", [
    sdp(),
    sdp().replace("\r\n", "\n"),                                     # bare LF line ends
    sdp(session="", media="c=IN IP4 10.0.0.9\r\n"),                  # address per stream
    sdp(session="c=IN IP4 0.0.0.0\r\n"),                             # on hold (RFC 2543 style)
    sdp(media="a=rtcp:40001\r\n"),
    sdp(media="a=rtcp:40001 IN IP4 10.0.0.9\r\n"),
    sdp(more="m=video 0 RTP/AVP 96\r\n"),                            # a stream already rejected
    sdp(more="m=video 5000 RTP/AVP 96\r\nc=IN IP4 10.0.0.8\r\n"),   # the box rejects it in its answer
    sdp(session="c=IN IP4 10.0.0.9\r\n", more="m=audio 0 RTP/AVP 0\r\nc=IN IP6 ::1\r\n"),   # rejected: unused
])
def test_what_the_box_can_use(text):
    check(text)
    check(text.encode())


@pytest.mark.parametrize("text, reason", [
    (sdp(session="c=IN IP4 ::1\r\n"), "connection not IN IP4"),              # the report's abort
    (sdp(session="c=IN IP6 ::1\r\n"), "connection not IN IP4"),
    (sdp(session="c=IN IP4 sip.example.com\r\n"), "connection not IN IP4"),  # a DNS lookup in the engine's thread
    (sdp(session="c=IN IP4 999.1.1.1\r\n"), "not an IPv4 address"),
    (sdp(session="c=IN IP4 224.2.1.1/127\r\n"), "connection not IN IP4"),
    (sdp(session="c=IN IP4 239.1.1.1\r\n"), "not a unicast address"),
    (sdp(session="c=IN IP4 255.255.255.255\r\n"), "not a unicast address"),
    (sdp(session=""), "has no c= line"),
    (sdp(port="70000"), "media port"),
    (sdp(port="40000/2"), "media port"),
    (sdp(media="a=rtcp:40001 IN IP4 ::1\r\n"), "connection not IN IP4"),
    (sdp(media="a=rtcp:0\r\n"), "a=b'rtcp:0'"),
    (sdp(media="c=IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.2\r\n"), "more than one c="),
    (sdp(more="m=video 5000 RTP/AVP 96\r\nc=IN IP4 ::1\r\n"), "connection not IN IP4"),
    (sdp(port="0"), "no audio stream"),
    (SESSION.format(session="c=IN IP4 10.0.0.9\r\n"), "no audio stream"),
    ("v=1\r\n" + sdp()[5:], "v=0"),
    (sdp().replace("s=-\r\n", ""), "no s= line"),
    (sdp() + "garbage\r\n", "not <type>=<value>"),
    (sdp() + "A=x\r\n", "not <type>=<value>"),
    (sdp().replace("m=audio 40000 RTP/AVP 8 0 101", "m=audio 40000 RTP/AVP"), "not a media line"),
    (sdp() + "a=x\x00y\r\n", "not <type>=<value>"),
    (sdp() + "a=" + "x" * 20000 + "\r\n", "description of"),
    ("", "the first line is not v=0"),
])
def test_what_the_box_cannot_use_is_refused_with_the_reason(text, reason):
    with pytest.raises(UnusableSdp, match=reason.replace("(", r"\(").replace("[", r"\[")):
        check(text)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_usable_or_unusable_sdp_and_nothing_else(data):
    try:
        check(data)
    except UnusableSdp:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_any_connection_address_that_passes_is_an_ipv4_literal(address):
    try:
        check(sdp(session=f"c=IN IP4 {address}\r\n"))
    except UnusableSdp:
        return
    parts = address.split(".")
    assert len(parts) == 4 and all(p.isascii() and p.isdigit() and int(p) < 256 for p in parts)
