"""DTMF detection at the ITU-T Q.24 tolerance edges, talk-off on real speech, and the tone generator."""

from __future__ import annotations

import math
import random
import wave
from array import array
from pathlib import Path

import pytest

from cython_ext import kernel

ROWS = (697.0, 770.0, 852.0, 941.0)
COLS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"
DBM0_PEAK = 22306.0
PROMPTS = Path(__file__).resolve().parents[2] / "build" / "prompts"


def pair(key: str) -> tuple[float, float]:
    i = KEYS.index(key)
    return ROWS[i // 4], COLS[i % 4]


def signal(parts, rate=8000, noise_dbm0=None, seed=0) -> bytes:
    """parts: (ms, [(freq, dBm0), ...]); silence is an empty list."""
    rng = random.Random(seed)
    out = []
    for ms, tones in parts:
        n = int(rate * ms / 1000)
        phases = [rng.uniform(0, 2 * math.pi) for _ in tones]
        for t in range(n):
            v = sum(DBM0_PEAK * 10 ** (lv / 20) * math.sin(2 * math.pi * f * t / rate + ph)
                    for (f, lv), ph in zip(tones, phases))
            if noise_dbm0 is not None:
                v += rng.gauss(0, DBM0_PEAK * 10 ** (noise_dbm0 / 20) / math.sqrt(2))
            out.append(max(-32768, min(32767, int(v))))
    return array("h", out).tobytes()


def press(key, ms=40.0, row_dev=0.0, col_dev=0.0, row_db=-10.0, col_db=-10.0, lead_ms=None, seed=0, **kw):
    """One key press with deviations in %; the lead silence puts the tone anywhere within a hop."""
    row, col = pair(key)
    lead = random.Random(seed).uniform(0, 10) if lead_ms is None else lead_ms
    return signal([(lead, []), (ms, [(row * (1 + row_dev / 100), row_db), (col * (1 + col_dev / 100), col_db)]),
                   (60, [])], seed=seed, **kw)


def detect(dtmf, pcm, rate=8000) -> str:
    det = dtmf.DtmfDetector(rate)
    # in odd-sized pieces, as packets would bring it
    found = "".join(det.feed(pcm[i:i + 202]) for i in range(0, len(pcm), 202))
    assert found == det.digits
    return found


@pytest.mark.parametrize("key", list(KEYS))
def test_every_key_at_the_acceptance_edges(dtmf, key):
    """Q.24: +-1.5 % on either tone must be accepted, in a 40 ms tone at any alignment."""
    for seed, (rd, cd) in enumerate([(0, 0), (1.5, 1.5), (-1.5, -1.5), (1.5, -1.5), (-1.5, 1.5)]):
        assert detect(dtmf, press(key, row_dev=rd, col_dev=cd, seed=seed)) == key, (rd, cd)


@pytest.mark.parametrize("key", list(KEYS))
def test_every_key_rejected_beyond_the_frequency_tolerance(dtmf, key):
    """Q.24: +-3.5 % on either tone must be rejected."""
    for seed, (rd, cd) in enumerate([(3.5, 0), (-3.5, 0), (0, 3.5), (0, -3.5)]):
        assert detect(dtmf, press(key, ms=80, row_dev=rd, col_dev=cd, seed=seed)) == "", (rd, cd)


@pytest.mark.parametrize("key", list("159D"))
def test_twist_limits(dtmf, key):
    # column up to 4 dB above the row (reverse twist), up to 8 dB below (normal twist)
    assert detect(dtmf, press(key, row_db=-14.0, col_db=-10.5)) == key
    assert detect(dtmf, press(key, row_db=-10.0, col_db=-17.5)) == key
    assert detect(dtmf, press(key, row_db=-16.0, col_db=-10.0)) == ""
    assert detect(dtmf, press(key, row_db=-6.0, col_db=-16.0)) == ""


def test_duration_and_level(dtmf):
    for seed in range(6):
        assert detect(dtmf, press("5", ms=40, seed=seed)) == "5"
        assert detect(dtmf, press("5", ms=25, seed=seed)) == ""
    assert detect(dtmf, press("8", row_db=-30, col_db=-30)) == "8"
    assert detect(dtmf, press("8", row_db=-40, col_db=-40)) == ""
    assert detect(dtmf, signal([(80, [(770.0, -10)])])) == ""          # a single tone
    assert detect(dtmf, signal([(80, [(770.0, -10), (852.0, -10)])])) == ""  # two rows


def test_a_dialled_string_with_40_ms_pauses(dtmf):
    parts = []
    for k, key in enumerate(KEYS + "55"):
        row, col = pair(key)
        parts += [(40 + k % 3 * 7, [(row, -10), (col, -12)]), (40 + k % 4 * 5, [])]
    assert detect(dtmf, signal(parts, seed=3)) == KEYS + "55"


def test_detects_in_noise(dtmf):
    assert detect(dtmf, press("0", ms=50, row_db=-20, col_db=-20, noise_dbm0=-40, seed=4)) == "0"


def test_sixteen_khz(dtmf):
    row, col = pair("#")
    pcm = signal([(5, []), (45, [(row, -10), (col, -10)]), (60, [])], rate=16000)
    assert detect(dtmf, pcm, rate=16000) == "#"


def prompt_files() -> list[Path]:
    files = sorted(PROMPTS.glob("*/*.wav"))
    if not files:
        pytest.fail(f"no prompts under {PROMPTS}: run `make prompts` (espeak-ng)")
    return files


def test_no_talk_off_on_speech(dtmf):
    """espeak-ng prompts in every language: not a single key (the reference gets every 4th file)."""
    files = prompt_files()
    if ".reference." in dtmf.__name__:
        files = files[::4]
    seconds, found = 0.0, {}
    for path in files:
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            pcm = w.readframes(w.getnframes())
        seconds += len(pcm) / 16000
        for gain in (1, 4):  # also louder speech, clipped
            loud = array("h", (max(-32768, min(32767, x * gain)) for x in array("h", pcm))).tobytes()
            keys = detect(dtmf, loud)
            if keys:
                found[(path.parent.name, path.name, gain)] = keys
    assert not found
    assert seconds > 10


def test_generator_round_trip(tones, dtmf):
    pcm = tones.dtmf("0123456789*#ABCD", on_ms=50, off_ms=50, level_dbm0=-12, twist_db=2.0)
    assert len(pcm) == 16 * 800 * 2
    assert detect(kernel("dtmf", "py" if ".reference." in tones.__name__ else "c"), pcm) == "0123456789*#ABCD"
    with pytest.raises(ValueError, match="DTMF key"):
        tones.dtmf("5X")


def dominant(pcm: bytes, rate: int, freqs) -> float:
    """The candidate frequency with the most energy in pcm (a plain DFT bin each)."""
    x = array("h", pcm)
    def energy(f):
        c = sum(v * math.cos(2 * math.pi * f * i / rate) for i, v in enumerate(x))
        s = sum(v * math.sin(2 * math.pi * f * i / rate) for i, v in enumerate(x))
        return c * c + s * s
    return max(freqs, key=energy)


def test_call_progress_cadences(tones):
    gen = tones.ToneGenerator(8000)
    gen.play(tones.CALL_PROGRESS["eu"]["busy"], level_dbm0=-13.0)
    pcm = array("h", gen.read(8000 * 2))  # 2 s: on 0.5 off 0.5, twice
    on = [max(abs(v) for v in pcm[i:i + 400]) for i in range(0, len(pcm), 400)]  # 50 ms blocks
    assert [v > 3000 for v in on] == ([True] * 10 + [False] * 10) * 2
    peak = max(abs(v) for v in pcm)
    assert abs(20 * math.log10(peak / DBM0_PEAK) - (-13.0)) < 0.2
    assert dominant(pcm[:4000].tobytes(), 8000, [350, 400, 425, 450, 480]) == 425
    gen.play(tones.CALL_PROGRESS["us"]["ringback"])
    first = gen.read(16000)   # 2 s of 440+480
    assert gen.read(32000) == bytes(64000)  # 4 s off
    assert dominant(first[:3200], 8000, [350, 440, 480, 620]) in (440, 480)
    gen.play([((1000.0,), 100)], repeat=False)
    assert len(gen.read(2000)) == 4000 and gen.done


def test_tone_edges_do_not_click(tones):
    gen = tones.ToneGenerator(8000)
    gen.play([((1000.0,), 20), ((), 20)], level_dbm0=0.0)
    pcm = array("h", gen.read(320))
    # the ramp: the first and last samples of the burst are near zero, not at full swing
    assert abs(pcm[0]) < 100 and abs(pcm[159]) < 1500 and pcm[160:] == array("h", [0] * 160)
