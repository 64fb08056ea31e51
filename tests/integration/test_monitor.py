"""A supervisor on a live call (TEL7): listen hears both and is heard by none; whisper is heard by
the agent only. Three SIPp parties speak three different recordings; what each one receives is
captured and compared with what the others said."""

from __future__ import annotations

import time
from array import array

import pytest

from tests.integration.box import REPO
from tests.integration.conftest import DID, Phone
from tests.support.audio import best_match, decode_alaw, read_wav
from tests.support.pcap import write_pcma_pcap
from tests.support.ports import free_port
from tests.support.rtp import capture
from tests.support.sipp import background_sipp, scenario_playing

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts"
SUPERVISOR_EXT, SUPERVISOR_PASSWORD = "1009", "supervisor-pw-9"


def voice(*names: str) -> list[int]:
    return [s for name in names for s in read_wav(PROMPTS / name)]


def heard(cap, port: int, start: float, end: float) -> list[int]:
    packets = sorted((p for p in cap.to_port(port) if start <= p.time < end), key=lambda p: p.time)
    return [s for p in packets for s in decode_alaw(p.payload)]


# Alone: it scores three voices' correlation over 3-s windows; beside a second test worker on 2 cores
# the whisper scored 0.74 against 0.9 once (a run of the whole suite, 2026-12-03).
@pytest.mark.alone
def test_supervisor_listens_then_whispers(center, phone, tmp_path):
    box = center["box"]
    customer_voice = voice("en/queue-first.wav", "en/closed.wav", "en/queue-repeat.wav")
    agent_voice = voice("de/queue-repeat.wav", "de/queue-first.wav")
    supervisor_voice = voice("sv/queue-repeat.wav", "sv/queue-first.wav", "sv/closed.wav")

    box.api("POST", "/agents", {"name": "Sue", "extension": SUPERVISOR_EXT, "sip_password": SUPERVISOR_PASSWORD},
            expect=201)
    supervisor = Phone(box, SUPERVISOR_EXT, SUPERVISOR_PASSWORD, tmp_path)
    supervisor.register()
    supervisor.answer_calls(voice=write_pcma_pcap(array("h", supervisor_voice).tobytes(), tmp_path / "sup.pcap"))
    phone.register()
    phone.answer_calls(voice=write_pcma_pcap(array("h", agent_voice).tobytes(), tmp_path / "agent.pcap"))
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [center["queue"]["id"]]}, expect=200)

    customer_pcap = write_pcma_pcap(array("h", customer_voice).tobytes(), tmp_path / "customer.pcap")
    scenario = scenario_playing("trunk_call.xml", customer_pcap, tmp_path)
    customer_media = free_port(span=3)
    try:
        with capture([customer_media, phone.media_port, supervisor.media_port], tmp_path) as cap:
            with background_sipp(scenario, remote=f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                                 service=DID, media_port=customer_media, timeout=40, workdir=tmp_path,
                                 extra=("-d", "13000")) as customer:
                call = box.wait_for(lambda: next((c for c in box.engine_status()["calls"] if c["phase"] == "talking"),
                                                 None), timeout=15, what="the call to be bridged")
                box.api("POST", f"/calls/{call['call_id']}/monitor", {"mode": "listen", "extension": SUPERVISOR_EXT},
                        expect=200)
                box.wait_for(lambda: (c := box.engine_status()["calls"]) and c[0]["monitor"]
                             and c[0]["monitor"]["connected"], timeout=10, what="the supervisor to join")
                listen_from = time.time() + 0.3
                time.sleep(3.0)
                listen_to = time.time()
                box.api("POST", f"/calls/{call['call_id']}/monitor", {"mode": "whisper"}, expect=200)
                whisper_from = time.time() + 0.3
                time.sleep(3.0)
                whisper_to = time.time()
                assert customer.wait(20).returncode == 0, customer.wait(1).explain()
    finally:
        supervisor.stop()

    def scores(port, window, reference) -> list[float]:
        """Correlation with the reference of every half second that carries sound."""
        samples = heard(cap, port, *window)
        return [best_match(samples, reference, at, window=4000) for at in range(0, len(samples) - 4000, 4000)
                if rms(samples[at:at + 4000]) > 300]

    def all_but_one(values: list[float], threshold: float) -> bool:
        """Every window but at most one above the threshold: on a loaded machine one half second may
        carry a late packet's gap, while a supervisor heard by the wrong side spoils every window."""
        return len(values) >= 3 and sorted(values)[1] > threshold

    listen, whisper = (listen_from, listen_to), (whisper_from, whisper_to)
    # Listen: the supervisor hears both sides; everything the customer hears is the agent's voice and
    # everything the agent hears is the customer's (a supervisor heard by either would break that).
    assert max(scores(supervisor.media_port, listen, customer_voice)) > 0.6
    assert max(scores(supervisor.media_port, listen, agent_voice)) > 0.6
    customer_hears, agent_hears = scores(customer_media, listen, agent_voice), scores(phone.media_port, listen,
                                                                                      customer_voice)
    assert all_but_one(customer_hears, 0.95) and all_but_one(agent_hears, 0.95), (customer_hears, agent_hears)
    # Whisper: the agent hears the supervisor; the customer still hears nothing but the agent.
    assert max(scores(phone.media_port, whisper, supervisor_voice)) > 0.9
    customer_hears = scores(customer_media, whisper, agent_voice)
    assert all_but_one(customer_hears, 0.95), customer_hears

def rms(samples: list[int]) -> float:
    return (sum(x * x for x in samples) / len(samples)) ** 0.5 if samples else 0.0
