"""The media hub in a real pjsua2 Endpoint (null sound device): call legs meet the mixer in pjmedia's clock.

Players stand in for call legs. While the bridge runs, the test holds the GIL (a C `usleep` called
through `ctypes.PyDLL`, which does not release it): any Python on the media path would stall the
clock, so frames that arrive prove that no Python runs per frame. Results are read at the end.
"""

from __future__ import annotations

import ctypes
import time
import wave
from pathlib import Path

import numpy as np
import pytest

pj = pytest.importorskip("pjsua2")
pjport = pytest.importorskip("cython_ext.pjport", reason="built by `make cython` with the pjproject prefix")

from cython_ext.reference.mixer import Mixer as ReferenceMixer  # noqa: E402

PROMPTS = Path(__file__).resolve().parents[2] / "build" / "prompts" / "en"
FRAME = 160  # 20 ms at 8 kHz
_libc_with_gil = ctypes.PyDLL(None)


def hold_gil(seconds: float) -> None:
    """Blocks this thread for `seconds` without releasing the GIL."""
    _libc_with_gil.usleep(int(seconds * 1e6))


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 8000 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).reshape(-1, w.getnchannels())


def prompt(name: str) -> Path:
    path = PROMPTS / f"{name}.wav"
    if not path.exists():
        pytest.skip(f"{path} not built (make prompts)")
    return path


def test_needs_running_pjsua():
    assert pj.Endpoint  # the module imports without an Endpoint; using the bridge needs one
    hub = pjport.MediaHub()
    with pytest.raises(RuntimeError, match="pjsua is not running"):
        hub.add_leg("a")
    hub.close()


@pytest.fixture(scope="module")
def endpoint():
    from tests.support.pjsua import null_sound_endpoint
    ep = null_sound_endpoint()
    yield ep
    ep.libDestroy()


@pytest.fixture
def hub(endpoint):
    h = pjport.MediaHub(rate=8000)
    yield h
    h.close()


def player(path: Path) -> pj.AudioMediaPlayer:
    p = pj.AudioMediaPlayer()
    p.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)
    return p


def frames_from(recorded: np.ndarray, source: np.ndarray) -> float:
    """The share of the recorded 20 ms frames with sound that are, sample for sample, a frame of
    `source` (a player hands the bridge its file in consecutive frames). Unlike one alignment over
    the whole recording, this holds when a loaded box makes the clock skip or repeat a tick."""
    chunks = {source[i * FRAME:(i + 1) * FRAME].tobytes() for i in range(len(source) // FRAME)}
    loud = [recorded[i * FRAME:(i + 1) * FRAME] for i in range(len(recorded) // FRAME)]
    loud = [f for f in loud if np.abs(f.astype(np.int32)).max() > 100]
    return sum(f.tobytes() in chunks for f in loud) / len(loud) if loud else 0.0


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    n = min(len(x), len(y))
    x, y = x[:n].astype(float), y[:n].astype(float)
    return float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9))


def test_stereo_tap_customer_left_agent_right(hub, tmp_path):
    a_wav, b_wav = read_wav(prompt("welcome"))[:, 0], read_wav(prompt("goodbye"))[:, 0]
    a, b = hub.add_leg("customer"), hub.add_leg("agent")
    assert hub.slot(a) != hub.slot(b)
    conf = hub.conference()
    hub.join(a, conf, role="customer")
    hub.join(b, conf, role="agent")
    rec = hub.record(a, b, tmp_path / "call.wav")
    pa, pb = player(prompt("welcome")), player(prompt("goodbye"))
    pa.startTransmit(hub.audio_media(a))
    pb.startTransmit(hub.audio_media(b))
    ticks = hub.ticks
    hold_gil(1.5)                       # the bridge, the ports, the mix and the tap run without Python
    ticks = hub.ticks - ticks
    stats_a, stats_b = hub.leg_stats(a), hub.leg_stats(b)
    hub.stop_recording(rec)
    del pa, pb

    # One mix per 20 ms tick (75 in 1.5 s; the clock catches up after a stall on a busy box).
    assert 50 <= ticks <= 100, ticks
    assert stats_a["frames_in"] >= 45 and stats_b["frames_in"] >= 45, (stats_a, stats_b)
    stereo = read_wav(tmp_path / "call.wav")
    assert stereo.shape[1] == 2 and len(stereo) >= 45 * FRAME, stereo.shape
    left, right = stereo[:, 0], stereo[:, 1]
    # Each channel is its leg's prompt, sample for sample, and nothing of the other leg's.
    shares = (frames_from(left, a_wav), frames_from(right, b_wav), frames_from(left, b_wav), frames_from(right, a_wav))
    assert shares[0] >= 0.9 and shares[1] >= 0.9, shares
    assert shares[2] == 0.0 and shares[3] == 0.0, shares


def test_a_recording_stopped_by_its_leg_leaving_can_be_stopped_again(hub, tmp_path):
    """A call moved into a conference leaves its bridge (which stops its recording); its end then
    stops the recording once more, which raised KeyError and left the call's record open."""
    a, b = hub.add_leg("customer"), hub.add_leg("agent")
    conf = hub.conference()
    hub.join(a, conf, role="customer")
    hub.join(b, conf, role="agent")
    rec = hub.record(a, b, tmp_path / "moved.wav")
    hub.leave(a)
    hub.stop_recording(rec)
    hub.leave(b)
    for leg in (a, b):
        hub.remove_leg(leg)
    hub.close_conference(conf)
    assert read_wav(tmp_path / "moved.wav").shape[1] == 2


def test_tick_stats_measure_the_bridge_clock(hub):
    """The hub times its mixes in C: about 1 s of audio gives ~50 intervals of ~20 ms."""
    a, b = hub.add_leg("customer"), hub.add_leg("agent")
    conf = hub.conference()
    hub.join(a, conf, role="customer")
    hub.join(b, conf, role="agent")
    assert hub.tick_stats()["ticks"] == 0
    pa, pb = player(prompt("welcome")), player(prompt("goodbye"))
    pa.startTransmit(hub.audio_media(a))
    pb.startTransmit(hub.audio_media(b))
    hold_gil(1.1)                       # timed and counted without Python
    stats = hub.tick_stats(reset=True)
    del pa, pb
    assert stats["ticks"] > 20, stats
    assert 15 <= stats["p50_ms"] <= 25, stats
    assert stats["p50_ms"] <= stats["p99_ms"] <= max(stats["max_ms"], 0.1), stats
    after = hub.tick_stats()
    assert after["ticks"] < stats["ticks"], (after, stats)    # reset cleared the histogram


CONFERENCES = {
    "three parties": [("party", "talk"), ("party", "talk"), ("party", "talk")],
    "whisper": [("customer", "talk"), ("agent", "talk"), ("supervisor", "whisper")],
    "listen": [("customer", "talk"), ("agent", "talk"), ("supervisor", "listen")],
    "barge": [("customer", "talk"), ("agent", "talk"), ("supervisor", "barge")],
}


# Alone: it compares pjmedia's clock-driven output sample for sample, which a second test worker
# loading the machine can shift by a tick within one run (seen at load 7 on 2 cores).
@pytest.mark.alone
@pytest.mark.parametrize("members", list(CONFERENCES.values()), ids=list(CONFERENCES))
def test_conference_outputs_match_reference_mixer(hub, tmp_path, members):
    """Three hub legs in one conference; every leg's output (recorded by pjmedia from the leg's slot)
    equals what the reference mixer computes from the legs' inputs (recorded by the stereo taps)."""
    prompts = [prompt("welcome"), prompt("goodbye"), prompt("closed")]
    legs = [hub.add_leg(f"leg{i}") for i in range(3)]
    conf = hub.conference()
    for leg, (role, mode) in zip(legs, members):
        hub.join(leg, conf, role=role, mode=mode)
    taps = [hub.record(legs[0], legs[1], tmp_path / "in01.wav"),
            hub.record(legs[2], legs[2], tmp_path / "in22.wav")]
    outs = [pj.AudioMediaRecorder() for _ in legs]
    for i, (out, leg) in enumerate(zip(outs, legs)):
        out.createRecorder(str(tmp_path / f"out{i}.wav"))
        hub.audio_media(leg).startTransmit(out)
    players = [player(path) for path in prompts]
    for play, leg in zip(players, legs):
        play.startTransmit(hub.audio_media(leg))
    hold_gil(1.2)
    for rec in taps:
        hub.stop_recording(rec)
    del out, outs, play, players        # none may outlive libDestroy
    time.sleep(0.2)                     # the bridge removes (and so closes) the WAV writers on its next tick

    in01, in22 = read_wav(tmp_path / "in01.wav"), read_wav(tmp_path / "in22.wav")
    assert min(len(in01), len(in22)) // FRAME >= 40 and all(np.abs(x).max() > 1000 for x in (in01[:, 0], in01[:, 1],
                                                                                            in22[:, 0]))

    def expected_outputs(late: int) -> list[np.ndarray]:
        """The reference mix of the taps' inputs, the second tap having started `late` ticks after the
        first: each hub.record is a call of its own, and a loaded machine lets the clock tick between
        them (in22 began 4, once 33 ticks after in01 at load 15). Leg 2 said nothing before its
        player started, after both taps."""
        leg2 = np.concatenate([np.zeros(late * FRAME, np.int16), in22[:, 0]])
        inputs = [in01[:, 0], in01[:, 1], leg2]
        ref = ReferenceMixer(rate=8000)
        rconf = ref.conference()
        conns = [ref.connect(rconf, role, mode) for role, mode in members]
        expected: list[list[np.ndarray]] = [[] for _ in legs]
        for t in range(min(len(in01), len(leg2)) // FRAME):
            for c, x in zip(conns, inputs):
                ref.write(c, x[t * FRAME:(t + 1) * FRAME].tobytes())
            ref.tick()
            for i, c in enumerate(conns):
                expected[i].append(np.frombuffer(ref.read(c), np.int16))
        return [np.concatenate(e) for e in expected]

    def matches(got: np.ndarray, want: np.ndarray) -> bool:
        """`got` is `want` sample for sample over at least 40 frames, from wherever the output
        recorder joined the bridge (after the taps, by as many ticks as the machine's load made it):
        the first frame with sound in `got` is looked up in `want`."""
        frames = [want[t * FRAME:(t + 1) * FRAME].tobytes() for t in range(len(want) // FRAME)]
        first = next((j for j in range(len(got) // FRAME) if got[j * FRAME:(j + 1) * FRAME].any()), None)
        if first is None:
            return False
        for t in (t for t, f in enumerate(frames) if f == got[first * FRAME:(first + 1) * FRAME].tobytes()):
            k = first - t                   # got frame j is want frame j - k
            m = min(len(got) - max(k, 0) * FRAME, len(want) - max(-k, 0) * FRAME)
            if m >= 40 * FRAME and np.array_equal(got[max(k, 0) * FRAME:][:m], want[max(-k, 0) * FRAME:][:m]):
                return True
        return False

    outputs = [read_wav(tmp_path / f"out{i}.wav")[:, 0] for i in range(3)]
    # One lateness of the second tap for which every leg's output is the reference mix, sample for sample.
    fits = {}
    for late in range(len(in01) // FRAME):
        fits[late] = [matches(got, want) for got, want in zip(outputs, expected_outputs(late))]
        if all(fits[late]):
            break
    assert all(fits[late]), f"no leg-2 tap lateness fits every leg's output ({members}): {fits}"
    expected = expected_outputs(late)
    # The roles did what they say: who hears the supervisor (leg 2)?
    sup = np.concatenate([np.zeros(late * FRAME, np.int16), in22[:, 0]])[:len(expected[0])]
    hears = [abs(correlation(expected[i], sup)) > 0.3 for i in (0, 1)]
    assert hears == {"talk": [True, True], "barge": [True, True], "listen": [False, False],
                     "whisper": [False, True]}[members[2][1]]


def test_legs_come_and_go(hub):
    legs = [hub.add_leg(f"l{i}") for i in range(4)]
    slots = {hub.slot(leg) for leg in legs}
    assert len(slots) == 4
    conf = hub.conference()
    for leg in legs:
        hub.join(leg, conf)
    hold_gil(0.1)
    hub.leave(legs[0])
    hub.remove_leg(legs[1])
    with pytest.raises(KeyError):
        hub.slot(legs[1])
    assert hub.mixer.members(conf) == sorted(hub.leg_stats(leg)["connection"] for leg in legs[2:])
    again = hub.add_leg("again")
    assert hub.slot(again) not in {hub.slot(leg) for leg in (legs[0], legs[2], legs[3])}
    hub.close_conference(conf)
    assert all(hub.leg_stats(leg)["conference"] is None for leg in (legs[0], legs[2], legs[3]))
    hub.close()
    with pytest.raises(RuntimeError, match="closed"):
        hub.add_leg("late")


def test_in_band_keys_are_found_in_the_clock_and_taken_by_the_engine(hub, tmp_path):
    """A leg with detection on: keys played into it in the bridge come back from take_digits;
    a leg without detection finds nothing in the same audio."""
    from cython_ext.tones import dtmf

    keys = tmp_path / "keys.wav"
    with wave.open(str(keys), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 1600 + dtmf("12#", on_ms=100, off_ms=100) + b"\x00\x00" * 1600)
    listening, deaf = hub.add_leg("trunk caller"), hub.add_leg("other")
    hub.detect_dtmf(listening)
    p1, p2 = player(keys), player(keys)
    p1.startTransmit(hub.audio_media(listening))
    p2.startTransmit(hub.audio_media(deaf))
    hold_gil(1.2)                        # detected in the clock thread, no Python involved
    assert hub.take_digits() == [(listening, "12#")]
    assert hub.take_digits() == []
    del p1, p2
    hub.remove_leg(listening)
    hub.remove_leg(deaf)
