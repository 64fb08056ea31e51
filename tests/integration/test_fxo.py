"""Analog callers through the whole box (issue 11): the V.253 modem simulator behind a real pty is an
fxo trunk's line; kamailio, the real engine (pjsua2, the media hub, the TDM port's jitter buffer) and a
SIPp agent do the rest. For each vendor's dialect: the simulator rings with caller ID, the call queues
by the trunk's number and reaches the agent, audio flows both ways (the line's tone is heard by the
agent, the agent's tone on the line), the caller hangs up by loop break and the CDR closes. A callback
to an analog caller leaves by the modem and dials the number; a modem unplugged and plugged back
raises and clears trunk-down and takes calls again within 5 s."""

from __future__ import annotations

import time

import numpy as np
import pytest

from firmware.cards.modem_sim import ModemSimulator
from tests.integration.test_acd_calls import queue_with_rules
from tests.support.audio import decode_alaw
from tests.support.pcap import write_pcma_pcap
from tests.support.rtp import capture

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CALLER = "0701234567"
NUMBERS = {"conexant": "4930201", "usr": "4930202", "rockwell": "4930203"}


@pytest.fixture(scope="module")
def lines(center, tmp_path_factory):
    """A simulated modem per dialect, each an fxo trunk of the box answering for its number."""
    folder = tmp_path_factory.mktemp("modems")
    box, sims = center["box"], {}
    for dialect, number in NUMBERS.items():
        sims[dialect] = ModemSimulator(folder / f"ttyFXO-{dialect}", dialect, ring_interval=0.5).start()
        box.api("POST", "/trunks", {"name": f"analog {dialect}", "type": "fxo", "device": str(sims[dialect].link),
                                    "dialect": "auto", "number": number}, expect=201)
        box.api("POST", "/inbound-routes", {"did": number, "queue_id": center["queue"]["id"]}, expect=201)
    yield sims
    for sim in sims.values():
        sim.stop()


def login(center, queue_id: int | None = None):
    center["box"].api("POST", f"/agents/{center['agent']['id']}/login",
                      {"queue_ids": [queue_id or center["queue"]["id"]]}, expect=200)


def tone(frequency: float, seconds: float, then_silence: float = 0.0) -> bytes:
    t = np.arange(int(seconds * 8000))
    pcm = (np.sin(2 * np.pi * frequency * t / 8000) * 8000).astype("<i2")
    return pcm.tobytes() + b"\0\0" * int(then_silence * 8000)


def peak(samples: list[int]) -> float:
    x = np.asarray(samples, dtype=float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return (np.argmax(spectrum[1:]) + 1) * 8000 / x.size


def newest_call_id(box) -> int:
    calls = box.api("GET", "/calls", expect=200)["items"]
    return max((c["id"] for c in calls), default=0)


def closed_call(box, number: str, after: int = 0) -> dict:
    return box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                      if c["callee"] == number and c["outcome"] and c["id"] > after), None),
                        timeout=15, what=f"the closed CDR to {number}")


@pytest.mark.parametrize("dialect", list(NUMBERS))
def test_an_analog_caller_reaches_the_agent_with_audio_both_ways_and_hangs_up_by_loop_break(
        center, lines, phone, tmp_path, dialect):
    box, sim = center["box"], lines[dialect]
    box.wait_for(lambda: not box.engine_status()["alarms"] or all(
        a["subject"] != f"trunk analog {dialect}" for a in box.engine_status()["alarms"]), what="the line up")
    phone.register()
    # the agent says 1200 Hz for 2 s, then nothing: a half-duplex modem then listens to the line again
    phone.answer_calls(voice=write_pcma_pcap(tone(1200, 2.0, then_silence=5.0), tmp_path / "agent.pcap"))
    login(center)
    sim.tone(700)
    before = newest_call_id(box)
    with capture([phone.media_port], tmp_path) as cap:
        sim.ring(CALLER, "Ann Berg")
        box.wait_for(lambda: (lambda f, level: abs(f - 1200) < 20 and level > 1000)(*sim.heard_frequency(0.3)),
                     timeout=25, what="the agent's tone on the line")
        box.wait_for(lambda: sim.heard_frequency(0.3)[1] < 300, timeout=10, what="the agent's silence")
        time.sleep(2.0)               # the line is heard by the agent (half duplex: after the switch back)
        sim.loop_break()
        assert phone.uas.wait(10).returncode == 0, phone.uas.wait(1).explain() + box.logs()
    heard = sorted(cap.to_port(phone.media_port), key=lambda p: p.time)
    last_second = [s for p in heard[-60:-10] for s in decode_alaw(p.payload)]
    assert len(last_second) >= 4000 and peak(last_second) == pytest.approx(700, abs=20), box.logs()
    call = closed_call(box, NUMBERS[dialect], after=before)
    assert (call["caller"], call["outcome"], call["cause"], call["agent"]) == \
        (CALLER, "answered", "caller-hangup", "1001")
    box.wait_for(lambda: not sim.off_hook, what="the line on hook")
    answer = "ATA" if dialect == "rockwell" else "AT+VLS=1"
    assert answer in sim.commands and ("AT+VTR" in sim.commands) == (dialect != "usr")


def test_a_callback_to_an_analog_caller_leaves_by_the_modem_and_dials_the_number(center, lines, phone, tmp_path):
    box, sim = center["box"], lines["conexant"]
    queue = queue_with_rules(center, "analog callbacks", "4930299", {"callback": {"offer_when_wait_over": 0,
                                                                                  "key": "1"}})
    # the conexant line answers for 4930201: routed to this queue for the test
    route = next(r for r in box.api("GET", "/inbound-routes", expect=200)["items"] if r["did"] == "4930201")
    box.api("DELETE", f"/inbound-routes/{route['id']}", expect=204)
    box.api("POST", "/inbound-routes", {"did": "4930201", "queue_id": queue["id"]}, expect=201)
    before = newest_call_id(box)
    try:
        sim.ring(CALLER)
        box.wait_for(lambda: sim.off_hook, timeout=15, what="the box answering")
        for pause in (4.0, 1.5, 1.5):           # the offer, keep the number, when it is my turn
            time.sleep(pause)
            sim.press("1")
        original = closed_call(box, "4930201", after=before)
        assert (original["caller"], original["outcome"], original["cause"]) == (CALLER, "overflowed", "callback")
        box.wait_for(lambda: not sim.off_hook, what="the box hanging up after the confirmation")
        phone.register()
        phone.answer_calls()
        login(center, queue["id"])
        box.wait_for(lambda: sim.dialled == [CALLER], timeout=20, what="the modem dialling the caller back")
        box.wait_for(lambda: sim.state == "voice", what="the callback connected")
        time.sleep(1.0)
        sim.loop_break()
        assert phone.uas.wait(10).returncode == 0, box.logs()
        callback = box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                              if c.get("callback_of") == original["id"] and c["outcome"]), None),
                                what="the callback's CDR")
        assert (callback["outcome"], callback["callee"]) == ("answered", CALLER)
    finally:
        route = next(r for r in box.api("GET", "/inbound-routes", expect=200)["items"] if r["did"] == "4930201")
        box.api("DELETE", f"/inbound-routes/{route['id']}", expect=204)
        box.api("POST", "/inbound-routes", {"did": "4930201", "queue_id": center["queue"]["id"]}, expect=201)


def test_an_unplugged_modem_raises_trunk_down_and_takes_calls_again_within_5_s_of_the_replug(center, lines):
    box, sim = center["box"], lines["usr"]
    subject = "trunk analog usr"
    sim.unplug()
    box.wait_for(lambda: any(a["subject"] == subject for a in box.engine_status()["alarms"]), timeout=10,
                 what="trunk-down raised")
    sim.plug()
    plugged = time.monotonic()
    sim.ring(CALLER)
    box.wait_for(lambda: sim.off_hook, timeout=10, what="a call answered after the replug")
    assert time.monotonic() - plugged < 5
    box.wait_for(lambda: not any(a["subject"] == subject for a in box.engine_status()["alarms"]),
                 what="trunk-down cleared")
    sim.loop_break()
    box.wait_for(lambda: not sim.off_hook, what="the line on hook")
