"""The PDU codec (3GPP TS 23.040 / 23.038) against published vectors and itself."""

from __future__ import annotations

import datetime as dt

import pytest

from firmware.sms import gsm7, pdu

# SMS-DELIVER "hellohello" and its SMS-SUBMIT, the examples of dreamfabric's well-known PDU guide.
DELIVER_HELLO = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
SUBMIT_HELLO = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
MOMENT = dt.datetime(2026, 12, 3, 14, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_a_published_deliver_reads_as_published():
    message = pdu.parse(DELIVER_HELLO)
    assert isinstance(message, pdu.Deliver)
    assert (message.sender, message.text, message.smsc, message.encoding) == \
        ("27838890001", "hellohello", "+27381000015", "gsm7")
    assert message.timestamp == dt.datetime(2099, 3, 29, 15, 16, 59, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_our_submit_carries_the_published_user_data():
    hex_pdu, length = pdu.Submit("+46708251358", "hellohello", "gsm7", status_report=False).encode()
    # ours asks for 24 h validity (A7) where the example asks for 4 days (AA); the rest is the same
    assert hex_pdu == SUBMIT_HELLO.replace("0000AA0A", "0000A70A")
    assert length == len(hex_pdu) // 2 - 1
    assert pdu.parse(SUBMIT_HELLO, direction="out").text == "hellohello"


def test_the_extension_table_takes_two_septets_and_survives_the_trip():
    text = "Price: 5€ [a|b] {c} ~^\\"
    assert gsm7.decode(gsm7.encode(text)) == text
    assert len(gsm7.encode("€")) == 2
    back = pdu.parse(pdu.Submit("+461", text, "gsm7").encode()[0], direction="out")
    assert back.text == text


def test_text_outside_the_gsm_alphabet_goes_in_ucs2():
    encoding, parts = pdu.split_text("我们会在14点到15点之间给您回电")
    assert encoding == "ucs2" and len(parts) == 1
    assert pdu.split_text("Hej då, Grüße")[0] == "gsm7"


def test_a_300_character_message_with_ten_euro_signs_takes_3_parts_of_at_most_153_septets():
    text = "€" * 10 + "x" * 290              # 310 septets
    encoding, parts = pdu.split_text(text)
    assert encoding == "gsm7" and len(parts) == 3 and "".join(parts) == text
    assert all(sum(gsm7.septet_length(c) for c in part) <= pdu.GSM7_PART for part in parts)
    submits = pdu.submit_pdus("+46701234567", text, concat_reference=42)
    assert [s.concatenation for s in submits] == [pdu.Concatenation(42, 3, n) for n in (1, 2, 3)]
    assert "".join(pdu.parse(s.encode()[0], direction="out").text for s in submits) == text


def test_a_split_never_cuts_an_escape_pair_or_a_surrogate_pair():
    text = "x" * 152 + "€" + "y" * 10
    assert pdu.split_text(text)[1][0] == "x" * 152
    emoji = "😀" * 40                                   # 80 UTF-16 units
    parts = pdu.split_text(emoji)[1]
    assert all(len(p.encode("utf-16-be")) <= 2 * pdu.UCS2_PART for p in parts) and "".join(parts) == emoji


def test_a_deliver_from_an_alphanumeric_sender_and_a_status_report_read_back():
    (hex_pdu, _), = pdu.deliver_pdus("Callbox", "Hello", MOMENT)
    message = pdu.parse(hex_pdu)
    assert (message.sender, message.text, message.timestamp) == ("Callbox", "Hello", MOMENT)
    report = pdu.parse(pdu.status_report_pdu(12, "+46701234567", 0x41, MOMENT)[0])
    assert isinstance(report, pdu.StatusReport)
    assert (report.reference, report.recipient, report.outcome) == (12, "+46701234567", "failed")
    assert pdu.StatusReport(1, "", MOMENT, MOMENT, 0x00).outcome == "delivered"
    assert pdu.StatusReport(1, "", MOMENT, MOMENT, 0x30).outcome == "pending"


@pytest.mark.parametrize(("hex_pdu", "message"), [
    ("0791", "SMSC address"),
    (DELIVER_HELLO[:40], "TP-SCTS"),
    (DELIVER_HELLO[:-4], "TP-UD"),
    ("00", "first octet"),
    ("XYZ1", "hexadecimal"),
    ("0001000B916407281553F80000", "not read here"),
])
def test_a_broken_pdu_is_refused_with_what_is_wrong(hex_pdu, message):
    with pytest.raises(ValueError, match=message):
        pdu.parse(hex_pdu)


def test_a_concatenation_element_with_impossible_values_is_ignored():
    # UDH: concatenation ref 1, total 2, part 3 (beyond the total)
    header = bytes([5, 0, 3, 1, 2, 3])
    dcs, length, data = pdu._user_data("hi", "gsm7", header)
    tpdu = bytes([pdu.TP_UDHI]) + pdu.encode_address("+461") + bytes([0, dcs]) + \
        pdu.encode_timestamp(MOMENT) + bytes([length]) + data
    message = pdu.parse("00" + tpdu.hex())
    assert message.text == "hi" and message.concatenation is None
