"""A conference in the media hub (TEL6): three phones dialled in, each hears the other two and not
itself; a removed member is hung up and the others go on."""

from __future__ import annotations

import statistics
import time
from array import array

import pytest

from tests.integration.box import REPO
from tests.integration.conftest import Phone
from tests.support.audio import best_match, decode_alaw, read_wav
from tests.support.pcap import write_pcma_pcap
from tests.support.rtp import capture

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts"
PHONES = {"1011": ("en/queue-first.wav", "en/closed.wav", "en/queue-repeat.wav"),
          "1012": ("de/queue-repeat.wav", "de/queue-first.wav", "de/closed.wav"),
          "1013": ("sv/queue-repeat.wav", "sv/queue-first.wav", "sv/closed.wav")}


def voice(names) -> list[int]:
    return [s for name in names for s in read_wav(PROMPTS / name)]


def test_three_phones_in_a_conference(box, tmp_path):
    phones, voices = {}, {}
    for extension, names in PHONES.items():
        box.api("POST", "/agents", {"name": f"Phone {extension}", "extension": extension,
                                    "sip_password": f"pw-{extension}-x"}, expect=201)
        phone = Phone(box, extension, f"pw-{extension}-x", tmp_path)
        phone.register()
        voices[extension] = voice(names)
        phone.answer_calls(voice=write_pcma_pcap(array("h", voices[extension]).tobytes(), tmp_path / f"{extension}.pcap"))
        phones[extension] = phone
    try:
        with capture([p.media_port for p in phones.values()], tmp_path) as cap:
            room = box.api("POST", "/conferences", {}, expect=201)
            for extension in phones:
                box.api("POST", f"/conferences/{room['id']}/members", {"extension": extension}, expect=201)
            box.wait_for(lambda: all(m["connected"] for m in box.api("GET", "/conferences", expect=200)
                                     ["items"][0]["members"]) and len(box.engine_status()["conferences"][0]["members"]) == 3,
                         timeout=10, what="three connected members")
            start = time.time() + 0.3
            time.sleep(4.0)
            end = time.time()
            members = box.api("GET", "/conferences", expect=200)["items"][0]["members"]
            first = next(m for m in members if m["label"] == "1011")
            box.api("DELETE", f"/conferences/{room['id']}/members/{first['id']}", expect=204)
            assert phones["1011"].uas.wait(10).returncode == 0     # hung up on: its scenario ended
            assert [m["label"] for m in box.api("GET", "/conferences", expect=200)["items"][0]["members"]] == \
                ["1012", "1013"]
            box.api("DELETE", f"/conferences/{room['id']}", expect=204)
        for phone in phones.values():
            assert phone.uas.wait(10).returncode == 0
    finally:
        for phone in phones.values():
            phone.stop()

    for extension, phone in phones.items():
        packets = sorted((p for p in cap.to_port(phone.media_port) if start <= p.time < end), key=lambda p: p.time)
        heard = [s for p in packets for s in decode_alaw(p.payload)]
        windows = [at for at in range(0, len(heard) - 4000, 4000)]
        for other, other_voice in voices.items():
            # The median over half-second windows: one window can match a stranger's voice by chance.
            typical = statistics.median(best_match(heard, other_voice, at, window=4000) for at in windows)
            if other == extension:
                assert typical < 0.45, f"{extension} hears itself ({typical:.2f})"
            else:
                assert typical > 0.5, f"{extension} does not hear {other} ({typical:.2f})"
