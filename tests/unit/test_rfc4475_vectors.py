"""The RFC 4475 vectors are the RFC's messages byte for byte, and adapting them changes addresses only."""

import hashlib

from tests.support.rfc4475 import VECTORS, Addresses, adapt


def test_every_message_of_section_3_is_there_once():
    assert len(VECTORS) == 49 and len({v.name for v in VECTORS}) == 49


def test_each_message_is_the_rfcs_own_octets():
    wrong = [v.name for v in VECTORS if hashlib.sha256(v.message).hexdigest() != v.sha256]
    assert not wrong


def test_adapting_changes_the_request_uri_and_top_via_and_keeps_the_body():
    addresses = Addresses(("127.0.0.1", 5999), ("127.0.0.1", 6000), "TCP", ("127.0.0.1", 6001))
    wsinv = next(v for v in VECTORS if v.name == "wsinv")
    adapted = adapt(wsinv.message, addresses)
    assert adapted.startswith(b"INVITE sip:vivekg@127.0.0.1:5999;unknownparam SIP/2.0\r\n")
    assert b"SIP/2.0/TCP\r\n    127.0.0.1:6000;branch=390skdjuw" in adapted
    assert b"<sip:127.0.0.1:6001;lr;unknownwith=value" in adapted        # the Route goes elsewhere
    body = lambda m: m.split(b"\r\n\r\n", 1)[1]                          # noqa: E731
    assert len(body(adapted)) == len(body(wsinv.message)) == 150         # same-length loopback addresses
