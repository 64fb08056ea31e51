"""Bad input (issue 11, item 6) for the SMS parsers: PDUs, the modem's lines and results, and the
driver fed garbage, truncated answers and floods of unsolicited results. Nothing but ValueError
leaves the PDU reader; nothing at all leaves the line reader; a command ends by its deadline."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.sms import at, pdu
from firmware.sms.modem import Modem, ModemError

DELIVER_HELLO = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=400)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_pdus() -> list[str]:
    import datetime as dt

    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    found = [DELIVER_HELLO, pdu.status_report_pdu(7, "+46701234567", 0, moment)[0]]
    found += [p for p, _ in pdu.deliver_pdus("+46701234567", "Hej " * 50 + "€", moment, concat_reference=3)]
    found += [p for p, _ in pdu.deliver_pdus("ACME", "您好" * 40, moment)]
    return found


VALID = _valid_pdus()


def _read(hex_pdu: str, direction: str = "in") -> None:
    try:
        pdu.parse(hex_pdu, direction=direction)
    except ValueError:
        pass


@FAST
@given(st.binary(max_size=200), st.sampled_from(["in", "out"]))
def test_random_octets_as_a_pdu_raise_only_value_error(data, direction):
    _read(data.hex(), direction)


@FAST
@given(st.sampled_from(VALID), st.data())
def test_a_cut_or_altered_pdu_raises_only_value_error(valid, data):
    octets = bytearray(bytes.fromhex(valid))
    cut = data.draw(st.integers(0, len(octets)))
    _read(bytes(octets[:cut]).hex())
    for _ in range(data.draw(st.integers(1, 4))):
        octets[data.draw(st.integers(0, len(octets) - 1))] = data.draw(st.integers(0, 255))
    _read(bytes(octets).hex())


@FAST
@given(TEXT, st.integers(0, 255))
def test_any_text_survives_the_trip_through_submit_parts(text, reference):
    parts = pdu.submit_pdus("+46701234567", text, concat_reference=reference)
    read = [pdu.parse(part.encode()[0], direction="out") for part in parts]
    assert "".join(part.text for part in read) == text
    assert all(len(bytes.fromhex(part.encode()[0])) <= 1 + 176 for part in parts)   # SMSC octet + TPDU


LINES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"OK", b"ERROR", b"+CMS ERROR: 500", b"+CME ERROR: x", b"+CMTI: \"SM\",3",
                              b"+CMT: ,24", b"+CDS: 25", b"+CMGR: 0,,24", b"+CMGL: 1,0,,24", b"> ", b">",
                              b"RING", b"+CREG: 1", b"\"unterminated", b"AT+CMGS=12", VALID[0].encode(),
                              b"\xff\xfe\x00", b"+CMGS: 300"]), max_size=40).map(lambda ls: b"\r\n".join(ls)),
)


@FAST
@given(st.lists(LINES, max_size=10))
def test_the_line_reader_and_assembler_take_anything(chunks):
    reader, assembler = at.LineReader(), at.Assembler()
    for chunk in chunks:
        for line in reader.feed(chunk):
            for item in assembler.push(line):
                assert isinstance(item, at.Final | at.Prompt | at.Result)
        assert len(reader.buffer) <= at.MAX_LINE + len(chunk)


@FAST
@given(st.text(max_size=200))
def test_arguments_split_whatever_the_quotes(text):
    assert isinstance(at.split_arguments(text), tuple)


class ScriptedPort:
    """A serial port that answers every write with the next of `answers` (raw bytes), then stays silent."""

    def __init__(self, answers: list[bytes]):
        self.answers = list(answers)
        self.out = b""
        self.incoming = b""

    @property
    def in_waiting(self) -> int:
        return len(self.incoming)

    def write(self, data: bytes) -> int:
        if self.answers:
            self.incoming += self.answers.pop(0)
        return len(data)

    def read(self, size: int) -> bytes:
        chunk, self.incoming = self.incoming[:size], self.incoming[size:]
        if not chunk:
            time.sleep(0.001)
        return chunk

    def close(self) -> None:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=8))
def test_the_driver_never_crashes_nor_hangs_on_garbage(answers):
    modem = Modem(ScriptedPort(answers), command_timeout=0.02, send_timeout=0.02)
    started = time.monotonic()
    for action in (modem.start, lambda: modem.send("+46701234567", "hi"), lambda: modem.poll(0.0),
                   modem.read_stored):
        try:
            action()
        except ModemError:
            pass
    assert time.monotonic() - started < 3
