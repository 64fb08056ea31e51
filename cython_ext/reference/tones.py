"""Tone generation in plain Python: call-progress cadences and DTMF, phase-continuous, click-free edges."""

from __future__ import annotations

import math
from array import array

DBM0_PEAK = 22306.0
RAMP_MS = 2.0                 # linear fade in/out at every tone edge
DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"

# (frequencies, milliseconds); () is silence; 0 ms is "forever". Levels per tone in dBm0.
CALL_PROGRESS = {
    "eu": {  # ETSI TR 101 041 / CEPT: 425 Hz
        "dial": [((425.0,), 0)],
        "ringback": [((425.0,), 1000), ((), 4000)],
        "busy": [((425.0,), 500), ((), 500)],
        "congestion": [((425.0,), 250), ((), 250)],
        "waiting": [((425.0,), 200), ((), 200), ((425.0,), 200), ((), 9400)],
    },
    "us": {  # ANSI T1.401 precise tones
        "dial": [((350.0, 440.0), 0)],
        "ringback": [((440.0, 480.0), 2000), ((), 4000)],
        "busy": [((480.0, 620.0), 500), ((), 500)],
        "congestion": [((480.0, 620.0), 250), ((), 250)],
        "waiting": [((440.0,), 300), ((), 9700)],
    },
}


def amplitude(dbm0: float) -> float:
    return DBM0_PEAK * 10 ** (dbm0 / 20)


def dtmf_pair(key: str) -> tuple[float, float]:
    i = KEYS.find(key.upper())
    if i < 0 or len(key) != 1:
        raise ValueError(f"not a DTMF key: {key!r}")
    return DTMF_ROWS[i // 4], DTMF_COLS[i % 4]


class ToneGenerator:
    def __init__(self, rate: int = 8000):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        self.rate = rate
        self._segments: list[tuple[tuple[float, ...], tuple[float, ...], int]] = []
        self._repeat = False
        self._seg = 0
        self._pos = 0
        self._done = True

    def play(self, cadence, level_dbm0: float = -13.0, repeat: bool = True) -> None:
        """Starts a cadence of segments (frequencies, ms) or (frequencies, ms, dBm0 per frequency)."""
        segs = []
        for seg in cadence:
            freqs, ms = tuple(float(f) for f in seg[0]), seg[1]
            if len(freqs) > 4:
                raise ValueError("at most 4 frequencies per segment")
            lv = tuple(seg[2]) if len(seg) > 2 else (level_dbm0,) * len(freqs)
            if len(lv) != len(freqs):
                raise ValueError("one level per frequency")
            n = int(self.rate * ms / 1000) if ms > 0 else -1
            segs.append((freqs, tuple(amplitude(x) for x in lv), n))
        if not segs:
            raise ValueError("empty cadence")
        self._segments, self._repeat, self._seg, self._pos, self._done = segs, repeat, 0, 0, False

    def stop(self) -> None:
        self._done = True

    @property
    def done(self) -> bool:
        return self._done

    def read(self, samples: int) -> bytes:
        """The next `samples` of the cadence (silence once it has ended)."""
        out = array("h", bytes(2 * samples))
        ramp = max(1, int(self.rate * RAMP_MS / 1000))
        i = 0
        while i < samples and not self._done:
            freqs, amps, n = self._segments[self._seg]
            take = samples - i if n < 0 else min(samples - i, n - self._pos)
            for k in range(take):
                t = self._pos + k
                v = 0.0
                for f, a in zip(freqs, amps):
                    v += a * math.sin(2 * math.pi * f * t / self.rate)
                g = 1.0
                if t < ramp:
                    g = t / ramp
                if n >= 0 and n - 1 - t < ramp:
                    g = min(g, (n - 1 - t) / ramp)
                out[i + k] = max(-32768, min(32767, int(round(v * g))))
            i += take
            self._pos += take
            if n >= 0 and self._pos >= n:
                self._pos = 0
                self._seg += 1
                if self._seg == len(self._segments):
                    self._seg = 0
                    self._done = not self._repeat
        return out.tobytes()


def dtmf(keys: str, rate: int = 8000, on_ms: int = 80, off_ms: int = 80, level_dbm0: float = -10.0,
         twist_db: float = 0.0) -> bytes:
    """A key sequence as audio: each key on_ms of its tone pair then off_ms of silence.
    twist_db > 0 makes the column tone louder than the row tone."""
    gen = ToneGenerator(rate)
    cadence = []
    for key in keys:
        cadence += [(dtmf_pair(key), on_ms, (level_dbm0 - twist_db / 2, level_dbm0 + twist_db / 2)), ((), off_ms)]
    if not cadence:
        return b""
    gen.play(cadence, repeat=False)
    return gen.read(len(keys) * (rate * on_ms // 1000 + rate * off_ms // 1000))
