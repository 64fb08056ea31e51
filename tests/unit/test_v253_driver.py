"""The V.253 driver and its serial link against the modem simulator behind a real pty, in each
vendor's dialect: initialisation, a call with caller ID answered, audio and keys, a loop break, a
call dialled out, and a modem unplugged, plugged back or gone silent that recovers by itself."""

from __future__ import annotations

import time

import numpy as np
import pytest

from firmware.cards.modem_sim import ModemSimulator
from firmware.cards.serial_link import SerialLine
from firmware.cards.v253_driver import Answered, CallOffered, Ended, Key, LineChecked, LineDown, LineUp, V253Driver


class Line:
    """A SerialLine with what it heard and what the test wants it to say."""

    def __init__(self, device: str, dialect: str = "auto"):
        self.heard = bytearray()
        self.saying: float | None = None      # a tone the box sends (Hz)
        self._phase = 0
        self.driver = V253Driver("test", dialect, hear=lambda pcm, now: self.heard.extend(pcm), say=self._say)
        self.link = SerialLine(device, self.driver)
        self.events: list = []

    def _say(self, samples: int) -> bytes:
        if self.saying is None:
            return b"\0\0" * samples
        t = np.arange(self._phase, self._phase + samples)
        self._phase += samples
        return (np.sin(2 * np.pi * self.saying * t / 8000) * 8000).astype("<i2").tobytes()

    def wait_for(self, kind, seconds: float = 5.0):
        deadline = time.monotonic() + seconds
        while True:
            for i, event in enumerate(self.events):
                if isinstance(event, kind):
                    del self.events[: i + 1]
                    return event
            assert time.monotonic() < deadline, f"no {kind.__name__}: {self.events}"
            self.events += self.link.take_events()
            time.sleep(0.01)


@pytest.fixture(params=["conexant", "usr", "rockwell"])
def modem(request, tmp_path):
    sim = ModemSimulator(tmp_path / "ttyFXO0", request.param, ring_interval=0.3).start()
    line = Line(str(sim.link))
    line.link.start()
    line.wait_for(LineUp)
    yield sim, line
    line.link.stop()
    sim.stop()


def frequency(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return (np.argmax(spectrum[1:]) + 1) * 8000 / samples.size


def test_a_call_with_caller_id_is_answered_carries_audio_and_keys_and_ends_at_a_loop_break(modem):
    sim, line = modem
    sim.tone(700)
    sim.ring("0701234567", "Ann Berg")
    offered = line.wait_for(CallOffered)
    assert (offered.caller, offered.name) == ("0701234567", "Ann Berg")
    line.link.request("answer")
    line.wait_for(Answered)
    deadline = time.monotonic() + 3
    while len(line.heard) < 8000 * 2 // 2:
        assert time.monotonic() < deadline, "no audio from the line"
        time.sleep(0.02)
    assert frequency(bytes(line.heard[-4000:])) == pytest.approx(700, abs=20)
    line.saying = 1200                           # the box speaks: full duplex, or VTX on a half-duplex modem
    deadline = time.monotonic() + 3
    while sim.heard_frequency(0.25)[1] < 1000:
        assert time.monotonic() < deadline, f"the line heard nothing: {sim.commands[-4:]}"
        time.sleep(0.02)
    assert sim.heard_frequency(0.25)[0] == pytest.approx(1200, abs=20)
    if sim.dialect.name == "usr":
        assert "AT+VTX" in sim.commands          # half duplex: it switched to speak...
        line.saying = None
        deadline = time.monotonic() + 3
        while sim.commands.count("AT+VRX") < 2:  # ...and listens again once the box is quiet
            assert time.monotonic() < deadline, sim.commands
            time.sleep(0.02)
        heard = len(line.heard)
        time.sleep(0.3)
        assert len(line.heard) - heard > 2000
    sim.press("4#")
    keys = [line.wait_for(Key).digit, line.wait_for(Key).digit]
    assert keys == ["4", "#"]
    sim.loop_break()
    assert line.wait_for(Ended).cause == "loop-break"
    deadline = time.monotonic() + 3
    while sim.off_hook or line.driver.state != "idle":
        assert time.monotonic() < deadline, "the line did not go on hook"
        time.sleep(0.02)
    answer = "ATA" if sim.dialect.name == "rockwell" else "AT+VLS=1"
    assert answer in sim.commands


def test_a_call_dialled_out_is_answered_and_ends_on_polarity_reversal(modem):
    sim, line = modem
    line.link.request("dial", "0701234567")
    line.wait_for(Answered)
    assert sim.dialled == ["0701234567"]
    sim.polarity_reversal()
    assert line.wait_for(Ended).cause == "polarity-reversal"


def test_a_busy_number_ends_the_dial_with_busy(modem):
    sim, line = modem
    sim.dial_answer = "BUSY"
    line.link.request("dial", "0701234567")
    assert line.wait_for(Ended).cause == "busy"


def test_a_ring_nobody_answers_ends_as_abandoned(modem, monkeypatch):
    from firmware.cards import v253_driver
    monkeypatch.setattr(v253_driver, "RING_GONE", 1.0)
    sim, line = modem
    sim.ring("0701234567", rings=2)
    line.wait_for(CallOffered)
    assert line.wait_for(Ended, 4).cause == "abandoned"


@pytest.mark.parametrize("modem", ["conexant"], indirect=True)
def test_an_unplugged_modem_ends_its_call_and_is_back_within_5_s_of_the_replug(modem):
    sim, line = modem
    sim.ring("0701234567")
    line.wait_for(CallOffered)
    line.link.request("answer")
    line.wait_for(Answered)
    sim.unplug()
    assert line.wait_for(Ended).cause == "line-down"
    line.wait_for(LineDown)
    time.sleep(0.5)
    sim.plug()
    plugged = time.monotonic()
    line.wait_for(LineUp, 5)
    assert time.monotonic() - plugged < 5
    sim.ring("0701234567")
    line.wait_for(CallOffered)


@pytest.mark.parametrize("modem", ["usr"], indirect=True)
def test_a_modem_that_stops_answering_is_reopened_and_initialised_again(modem):
    sim, line = modem
    sim.silent = True
    line.wait_for(LineDown, 5)              # its keep-alive "AT" went unanswered
    sim.silent = False
    line.wait_for(LineUp, 5)
    assert line.link.counts["opened"] >= 2


def test_the_card_test_finds_dial_tone_or_its_absence(modem, monkeypatch):
    from firmware.cards import v253_driver
    monkeypatch.setattr(v253_driver, "DIAL_TONE_WAIT", 1.0)
    sim, line = modem
    line.link.request("check_line")
    checked = line.wait_for(LineChecked)
    assert checked.dial_tone and 0 < checked.seconds < 1, checked
    deadline = time.monotonic() + 3
    while sim.off_hook or line.driver.state != "idle":
        assert time.monotonic() < deadline, "the line stayed off hook after the test"
        time.sleep(0.02)
    sim.dial_tone = False
    line.link.request("check_line")
    assert not line.wait_for(LineChecked, 4).dial_tone
    sim.ring("0701234567")                       # the line still takes calls after its test
    line.wait_for(CallOffered)


def talking_driver(full_duplex: bool = True) -> V253Driver:
    """A driver brought to a call by hand (no pty): the modem's answers fed as bytes."""
    driver = V253Driver("hand", say=lambda samples: b"\x00\x40" * samples)
    driver.link_up(0.0)
    for answer in (b"OK", b"OK", b"OK", b'+VSM: 4,"G711U",8,0,(8000),(0),(0)\r\nOK', b"OK", b"OK", b"OK",
                   b"OK" if full_duplex else b"ERROR", b"OK"):
        driver.feed(b"\r\n" + answer + b"\r\n", 0.0)
    driver.feed(b"\x10R\r\nNMBR = 5551234\r\n", 0.1)
    driver.tick(0.5)
    driver.answer()
    driver.feed(b"\r\nVCON\r\n", 0.6)
    driver.feed(b"\r\nCONNECT\r\n", 0.7)
    assert driver.state == "talking", driver.state
    driver.output.clear()
    return driver


@pytest.mark.parametrize("code, cause", [(b"s", "silence"), (b"b", "busy"), (b"d", "dial-tone"),
                                         (b"l", "loop-break"), (b"L", "polarity-reversal")])
def test_each_hang_up_event_ends_the_call_and_puts_the_line_on_hook(code, cause):
    driver = talking_driver()
    driver.feed(b"\x7f\x10" + code, 1.0)
    assert Ended(cause) in driver.events
    assert driver.output.startswith(b"\x10!\x10\x03")          # the voice data ended
    driver.output.clear()
    driver.feed(b"\x10\x03\r\nOK\r\n", 1.1)                   # the modem's end of data and result
    assert bytes(driver.output) == b"AT+VLS=0\r"
    driver.feed(b"\r\nOK\r\n", 1.2)
    assert driver.state == "idle"


def test_with_the_modem_holding_cts_low_audio_is_dropped_not_queued():
    driver = talking_driver()
    for step in range(1, 26):                                 # 0.5 s in 20 ms ticks: paced µ-law
        driver.tick(0.7 + step * 0.02)
    assert 4000 <= len(driver.output) <= 4000 + 0.06 * 8000 + 160
    driver.output.clear()
    driver.backlog = 5000                                     # the link could not write that much yet
    for step in range(1, 26):
        driver.tick(1.2 + step * 0.02)
    assert not driver.output and driver.counts["dropped_tx_samples"] >= 3900
    driver.backlog = 0
    driver.tick(1.72)
    assert 0 < len(driver.output) <= 320                      # back at the pace, not a burst of the backlog
