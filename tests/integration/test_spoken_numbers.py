"""Queue positions are spoken whatever they are (issue 8, finding 11): with 22 callers ahead, the 23rd
hears "you are caller number twenty three", the words played one after the other as one playlist."""

from __future__ import annotations

import pytest

from tests.integration.box import REPO
from tests.support.audio import decode_alaw, read_wav
from tests.support.ports import free_port
from tests.support.rtp import capture
from tests.support.sipp import background_sipp, run_sipp

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts" / "en"
AHEAD = 22
QUEUE_DID = "4930523"


def find(heard: list[int], prompt: list[int]) -> tuple[int, float]:
    """Where in `heard` the prompt starts (sample offset) and how alike the two are there (normalised
    correlation, 1.0 = the same samples): a prompt played by the engine reaches the caller as G.711."""
    import numpy as np

    audio, reference = np.asarray(heard, dtype=np.float64), np.asarray(prompt, dtype=np.float64)
    if len(audio) < len(reference):
        return 0, 0.0
    dots = np.correlate(audio, reference, mode="valid")
    energy = np.concatenate(([0.0], np.cumsum(audio * audio)))
    windows = np.sqrt(energy[len(reference):] - energy[:-len(reference)]) * np.sqrt(np.dot(reference, reference))
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(windows > 0, dots / windows, 0.0)
    best = int(scores.argmax())
    return best, float(scores[best])


def test_the_23rd_caller_hears_position_twenty_three(center, tmp_path):
    box = center["box"]
    # A queue that says only the position, 5 s after a caller entered it; nobody serves it.
    queue = box.api("POST", "/queues", {"name": "crowded", "settings": {
        "messages": {"first": None, "repeated": [], "frequency": 5, "announce_position": True}}}, expect=201)
    box.api("POST", "/inbound-routes", {"did": QUEUE_DID, "queue_id": queue["id"]}, expect=201)
    # The callers ahead come over a second carrier: the 23rd uses the first one's port meanwhile.
    crowd_port = free_port()
    box.api("POST", "/trunks", {"name": "crowd carrier", "type": "peer", "address": f"127.0.0.1:{crowd_port}"},
            expect=201)
    edge = f"127.0.0.1:{box.sip_port}"
    with background_sipp("trunk_call.xml", remote=edge, local_port=crowd_port, service=QUEUE_DID, calls=AHEAD,
                         media_port=free_port(span=3), timeout=90, workdir=tmp_path,
                         extra=("-d", "45000", "-l", str(AHEAD))) as crowd:
        def waiting() -> int:
            status = box.engine_status() or {"queues": []}
            return next((len(q["waiting"]) for q in status["queues"] if q["id"] == queue["id"]), 0)
        box.wait_for(lambda: waiting() == AHEAD, timeout=30, what=f"{AHEAD} callers waiting")

        media = free_port(span=3)
        with capture([media], tmp_path) as cap:
            result = run_sipp("trunk_call.xml", edge, local_port=center["trunk_port"], service=QUEUE_DID,
                              media_port=media, timeout=40, workdir=tmp_path, extra=("-d", "13000"))
        assert result.returncode == 0, result.explain() + box.logs()
        crowd.stop()

    heard = [s for p in sorted(cap.to_port(media), key=lambda p: p.time) for s in decode_alaw(p.payload)]
    words = ["position", "number-20", "number-3"]          # "You are caller number" "twenty" "three"
    # Each word follows the one before at once: one playlist, not three prompts.
    end = None
    for word in words:
        prompt = read_wav(PROMPTS / f"{word}.wav")
        offset, score = find(heard[end or 0:], prompt)
        assert score > 0.9, f"'{word}' was not heard (best correlation {score:.2f}); {box.logs()}"
        if end is not None:
            assert offset <= 400, f"'{word}' came {offset / 8000:.2f} s after the word before"
        end = (end or 0) + offset + len(prompt)
