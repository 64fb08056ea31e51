"""A trunk call end to end: real kamailio, the real engine (pjsua2) and SIPp trunks and phones."""

from __future__ import annotations

from array import array
from pathlib import Path
import socket
import time
import wave

import pytest

from tests.integration.box import REPO
from tests.integration.conftest import DID
from tests.support.audio import best_correlation, best_match, decode_alaw, read_wav
from tests.support.hearing import pieces_of
from tests.support.pcap import write_pcma_pcap
from tests.support.ports import free_port
from tests.support.rtp import capture, read_rtp
from tests.support.sipp import background_sipp, run_sipp, scenario_path

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts"


def trunk_call(center, tmp_path, hold_ms: int, media_port: int, did: str = DID, background: bool = False):
    options = dict(local_port=center["trunk_port"], service=did, media_port=media_port,
                   timeout=hold_ms / 1000 + 30, workdir=tmp_path, extra=("-d", str(hold_ms)))
    edge = f"127.0.0.1:{center['box'].sip_port}"
    if background:
        return background_sipp("trunk_call.xml", remote=edge, **options)
    return run_sipp("trunk_call.xml", edge, **options)


def latest_call(box):
    return box.api("GET", "/calls", expect=200)["items"][0]


def login(center):
    center["box"].api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [center["queue"]["id"]]},
                      expect=200)


def test_trunk_call_is_answered_bridged_to_the_agent_recorded_and_counted(center, phone, tmp_path):
    box = center["box"]
    phone.register()
    # The agent says the English "please wait" prompt; the caller plays SIPp's own G.711 recording.
    agent_voice = read_wav(PROMPTS / "en" / "queue-repeat.wav")
    phone.answer_calls(voice=write_pcma_pcap(array("h", agent_voice).tobytes(), tmp_path / "agent.pcap"))
    login(center)
    caller_media = free_port(span=3)
    with capture([caller_media, phone.media_port], tmp_path) as cap:
        result = trunk_call(center, tmp_path, hold_ms=9000, media_port=caller_media)
    assert result.returncode == 0, result.explain() + box.logs()
    assert phone.uas.wait(10).returncode == 0

    to_caller, from_caller = cap.to_port(caller_media), cap.from_port(caller_media)
    to_agent, from_agent = cap.to_port(phone.media_port), cap.from_port(phone.media_port)
    assert len(from_caller) > 200 and len(from_agent) > 100, "SIPp did not send its pcap audio"
    # The caller hears the welcome prompt (not silence) before any agent audio...
    first_agent_packet = min(p.time for p in from_agent)
    prompt = [p for p in to_caller if p.time < first_agent_packet]
    assert sum(not p.silent for p in prompt) > 50, "no prompt audio reached the caller"
    # ...and after the bridge, audio flows both ways through the engine.
    assert len([p for p in to_caller if p.time > first_agent_packet]) > 100
    assert len(to_agent) > 100 and sum(not p.silent for p in to_agent) > 50

    call = box.wait_for(lambda: (c := latest_call(box))["outcome"] and c, what="closed CDR")
    assert call["outcome"] == "answered"
    assert call["agent"] == "1001" and call["queue"] == "support"
    assert 0 < call["wait_seconds"] < 3
    assert 3 < call["talk_seconds"] < 9
    recording = box.recording(call["recording_id"])
    with wave.open(str(box.data / recording["path"])) as w:
        seconds = w.getnframes() / w.getframerate()
        assert (w.getnchannels(), recording["channels"]) == (2, 2)
        samples = array("h", w.readframes(w.getnframes()))
    assert seconds == pytest.approx(call["talk_seconds"], abs=0.6)
    # Stereo: the customer on the left, the agent on the right, each found in what its side sent.
    left, right = samples[0::2], samples[1::2]
    caller_voice = [s for p in read_rtp(Path("/usr/share/sip-tester/g711a.pcap")) for s in decode_alaw(p.payload)]
    start = 8000     # a second into the talk
    # Each side's words in 100-ms pieces (tests/support/hearing.py): one 1-s window matched no single
    # stretch of them (0.86 < 0.9 in a CI run under load) when the jitter buffer stepped by a frame
    # inside it.
    for side, said in ((left, caller_voice), (right, agent_voice)):
        good, loud = pieces_of(side[start:], said, level=True)
        assert loud >= 10 and good >= loud / 2, (good, loud)
    assert best_match(left, agent_voice, start) < 0.5 and best_match(right, caller_voice, start) < 0.5
    events = [e["event"] for e in box.queue_events(call["id"])]
    assert events == ["enter", "ring", "answer", "complete"]


def test_caller_without_agents_hears_queue_messages_and_abandons(center, tmp_path):
    box = center["box"]
    caller_media = free_port(span=3)
    with capture([caller_media], tmp_path) as cap:
        result = trunk_call(center, tmp_path, hold_ms=9000, media_port=caller_media)
    assert result.returncode == 0, result.explain()
    heard = sorted(cap.to_port(caller_media), key=lambda p: p.time)
    audio = [s for p in heard for s in decode_alaw(p.payload)]
    # After the welcome comes the first queue message (then the position).
    welcome_seconds = len(read_wav(PROMPTS / "en" / "welcome.wav")) / 8000
    # Search from a second before its end, on a 20 ms frame boundary as the player starts on one.
    after_welcome = audio[(int(welcome_seconds * 50) - 50) * 160:]
    similarity = best_correlation(after_welcome, read_wav(PROMPTS / "en" / "queue-first.wav"), max_lag_frames=200)
    assert similarity > 0.9, f"the first queue message was not heard (correlation {similarity:.2f})"
    call = box.wait_for(lambda: (c := latest_call(box))["outcome"] and c, what="closed CDR")
    assert call["outcome"] == "abandoned" and call["agent"] is None
    assert 4 < call["wait_seconds"] < 9


def test_unknown_number_is_refused_with_404(center, tmp_path):
    box = center["box"]
    scenario = tmp_path / "refused404.xml"
    scenario.write_text(_refused_scenario(404))
    result = run_sipp(scenario, f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="999999", workdir=tmp_path)
    assert result.returncode == 0, result.explain()
    call = latest_call(box)
    assert call["callee"] == "999999" and call["outcome"] == "failed" and call["cause"] == "unknown-number"


def test_call_from_an_unknown_source_is_refused_with_403(center, tmp_path):
    box = center["box"]
    scenario = tmp_path / "refused403.xml"
    scenario.write_text(_refused_scenario(403))
    result = run_sipp(scenario, f"127.0.0.1:{box.sip_port}", local_port=free_port(), service=DID,
                      workdir=tmp_path)
    assert result.returncode == 0, result.explain()


def _refused_scenario(status: int) -> str:
    from tests.support.sipp import scenario_path
    return scenario_path("trunk_call_refused.xml").read_text().replace("EXPECTED_STATUS", str(status))


def talking_call(center, phone, tmp_path, hold_ms: int):
    """A trunk call (SIPp in the background) the agent's phone has answered."""
    phone.register()
    phone.answer_calls()
    login(center)
    call = trunk_call(center, tmp_path, hold_ms=hold_ms, media_port=free_port(span=3), background=True)
    box = center["box"]
    box.wait_for(lambda: any(a["state"] == "busy" for a in box.engine_status()["agents"]), timeout=15,
                 what="the agent to talk")
    return call


def test_malformed_sip_does_not_disturb_a_call_in_progress(center, phone, tmp_path):
    box = center["box"]
    call = talking_call(center, phone, tmp_path, hold_ms=8000)
    junk = [b"\x00\xff" * 300, b"INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n",
            b"SIP/2.0 200 OK\r\nCall-ID: \r\n\r\n", b"REGISTER sip:\xc3\x28@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\n"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for payload in junk:
            for port in (box.sip_port, box.engine_port):
                s.sendto(payload, ("127.0.0.1", port))
    result = call.wait(30)
    assert result.returncode == 0, result.explain() + box.logs()
    closed = box.wait_for(lambda: (c := latest_call(box))["outcome"] and c, what="closed CDR")
    assert closed["outcome"] == "answered"


def test_killed_engine_is_restarted_and_its_lost_calls_are_closed(center, phone, tmp_path):
    box = center["box"]
    before = {c["id"] for c in box.api("GET", "/calls", expect=200)["items"]}
    answered = talking_call(center, phone, tmp_path, hold_ms=20000)
    time.sleep(3)     # a few seconds of talk, recorded
    assert box.kill_engine() < 5.0
    answered.stop()
    new = [c for c in box.api("GET", "/calls", expect=200)["items"] if c["id"] not in before]
    assert new, "the call in progress has no CDR"
    assert all(c["outcome"] is not None for c in new)
    lost = [c for c in new if c["cause"] == "engine-restart"]
    assert lost and lost[0]["outcome"] == "answered" and lost[0]["talk_seconds"] > 0
    # Its recording was cut short by the kill and repaired at start: it plays and has a length.
    recording = box.recording(lost[0]["recording_id"])
    assert recording["duration_seconds"] > 1.5, box.logs()
    with wave.open(str(box.data / recording["path"])) as w:
        assert w.getnframes() > 4000


def test_the_prompt_language_is_a_setting(center, tmp_path):
    box = center["box"]
    box.api("PUT", "/settings", {"prompt_language": "de"}, expect=200)
    try:
        caller_media = free_port(span=3)
        with capture([caller_media], tmp_path) as cap:
            result = trunk_call(center, tmp_path, hold_ms=3000, media_port=caller_media)
        assert result.returncode == 0, result.explain()
    finally:
        box.api("PUT", "/settings", {"prompt_language": "en"}, expect=200)
    heard = [s for p in sorted(cap.to_port(caller_media), key=lambda p: p.time) for s in decode_alaw(p.payload)]
    german = best_correlation(heard, read_wav(PROMPTS / "de" / "welcome.wav"))
    english = best_correlation(heard, read_wav(PROMPTS / "en" / "welcome.wav"))
    assert german > 0.9, f"the German welcome was not heard (correlation {german:.2f})"
    assert english < 0.5


def test_stopping_the_engine_during_a_call_closes_it_and_exits_cleanly(center, phone, tmp_path):
    box = center["box"]
    call = talking_call(center, phone, tmp_path, hold_ms=20000)
    box.supervisorctl("stop", "engine")
    try:
        supervisord_log = (box.data / "log" / "supervisord.log").read_text()
        assert "stopped: engine (exit status 0)" in supervisord_log, box.logs()
        closed = latest_call(box)
        assert (closed["outcome"], closed["cause"]) == ("answered", "engine-stop")
        recording = box.recording(closed["recording_id"])
        assert recording["duration_seconds"] == pytest.approx(closed["talk_seconds"], abs=0.6)
        # The caller was hung up on, not left in a dead call.
        assert call.wait(10).returncode is not None
    finally:
        box.supervisorctl("start", "engine")
        box.wait_for(lambda: box.engine_status() is not None, timeout=15, what="the engine to start")


def test_digits_keyed_while_queued_are_shown_with_the_call(center, tmp_path):
    box = center["box"]
    caller = background_sipp("trunk_call_digits.xml", remote=f"127.0.0.1:{box.sip_port}",
                             local_port=center["trunk_port"], service=DID, media_port=free_port(span=3),
                             timeout=30, workdir=tmp_path, extra=("-d", "3000"))
    with caller:
        waiting = box.wait_for(lambda: [w for q in box.engine_status()["queues"] for w in q["waiting"]
                                        if w["caller_input"] == "12"], timeout=12, what="the digits 1 and 2")
        assert waiting[0]["position"] == 1
        assert caller.wait(15).returncode == 0


def test_keys_sent_as_tones_by_an_inband_trunk_are_heard(center, tmp_path):
    """A trunk without RFC 4733: the caller's tones are found by the media hub in the media clock."""
    from cython_ext.tones import dtmf

    box = center["box"]
    port = free_port()
    box.api("POST", "/trunks", {"name": "analog gateway", "type": "peer", "address": f"127.0.0.1:{port}",
                                "dtmf": "inband"}, expect=201)
    silence = b"\x00\x00" * 8000
    keys = write_pcma_pcap(silence * 4 + dtmf("12", on_ms=100, off_ms=100) + silence * 3, tmp_path / "keys.pcap")
    scenario = tmp_path / "inband.xml"
    scenario.write_text(scenario_path("trunk_call.xml").read_text()
                        .replace("/usr/share/sip-tester/g711a.pcap", str(keys))
                        .replace("RTP/AVP 8 101", "RTP/AVP 8")
                        .replace("a=rtpmap:101 telephone-event/8000\n", "").replace("a=fmtp:101 0-15\n", ""))
    with background_sipp(scenario, remote=f"127.0.0.1:{box.sip_port}", local_port=port, service=DID,
                         media_port=free_port(span=3), timeout=30, workdir=tmp_path, extra=("-d", "8000")) as caller:
        waiting = box.wait_for(lambda: [w for q in box.engine_status()["queues"] for w in q["waiting"]
                                        if w["caller_input"] == "12"], timeout=12, what="the keys 1 and 2")
        assert waiting[0]["position"] == 1
        assert caller.wait(15).returncode == 0
