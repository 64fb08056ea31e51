"""Hostile bytes at the V.253 parsers and the driver (issue 11, item 6): garbage, truncated
sequences and floods of unsolicited results never raise, never grow without bound, and the driver
still reads a good answer after them."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.cards import v253
from firmware.cards.v253 import Audio, StreamDecoder
from firmware.cards.v253_driver import LineUp, V253Driver

# bytes with the stream's special ones over-represented
special = st.sampled_from([b"\x10", b"\x03", b"\x1a", b"\r", b"\n", b"OK", b"RING", b"CONNECT", b"NMBR = ",
                           b"+VSM: ", b'"', b"(", b")", b",", b"\x10R", b"\x10l", b"\x10\x10"])
chunks = st.lists(st.one_of(st.binary(max_size=64), special), max_size=60)


@settings(max_examples=400, deadline=None)
@given(chunks, st.booleans())
def test_the_decoder_takes_anything_and_keeps_little(parts, voice):
    decoder = StreamDecoder()
    decoder.voice = voice
    for part in parts:
        for item in decoder.feed(part):
            assert not isinstance(item, Audio) or item.data
    assert len(decoder._text) <= v253.MAX_LINE


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_information_text_parsers_never_raise(text):
    v253.parse_vsm_entry(text)
    v253.caller_id_field(text)
    v253.caller_number(text)


def _ready_driver() -> V253Driver:
    driver = V253Driver("fuzz")
    driver.link_up(0.0)
    answers = [b"OK", b"OK", b"OK", b'+VSM: 4,"G711U",8,0,(8000),(0),(0)\r\nOK', b"OK", b"OK", b"OK", b"OK", b"OK"]
    for answer in answers:
        driver.feed(b"\r\n" + answer + b"\r\n", 0.0)
    assert any(isinstance(e, LineUp) for e in driver.events), driver.events
    return driver


@settings(max_examples=300, deadline=None)
@given(chunks)
def test_the_driver_survives_garbage_in_every_state_and_still_answers_a_call(parts):
    driver = _ready_driver()
    now = 0.0
    for part in parts:
        now += 0.01
        driver.feed(part, now)
        driver.tick(now)
    driver.output.clear()
    # whatever it came to, the driver is in a known state and its outputs are bounded
    assert driver.state in ("down", "init", "idle", "ringing", "answering", "connecting", "talking", "hanging-up",
                            "dialling")
    assert len(driver.events) < 1000


def test_a_flood_of_unsolicited_results_costs_little_and_blocks_nothing():
    driver = _ready_driver()
    driver.events.clear()
    flood = b"\r\nNO CARRIER\r\n\x10q\r\n+XYZ: 1\r\n" * 20000        # ~0.5 MB: 50 s of a full 115200-baud link
    started = time.perf_counter()
    driver.feed(flood, 1.0)
    # read at least ten times faster than the link can send it (linear: ~1 s here), so a flooding
    # modem can never make its line thread fall behind
    assert time.perf_counter() - started < len(flood) / 11520 / 10
    assert driver.state == "idle" and not driver.events
