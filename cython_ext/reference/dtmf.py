"""DTMF detection (ITU-T Q.23 frequencies, Q.24 reception tolerances) with Goertzel filters, in plain Python.

Analysis runs on 10 ms hops; two hops make a 20 ms window. Per hop, a Goertzel filter per DTMF
frequency gives a complex amplitude. In each window the strongest row and column tone must
  - each be at least MIN_LEVEL_DBM0,
  - respect the twist limits (column at most 4 dB above, at most 8 dB below the row),
  - hold PURITY of the window's energy (speech spreads its energy; a DTMF pair does not),
  - be on frequency: the phase advance of a tone from one hop to the next measures its frequency;
    within 2.5 % of nominal passes (Q.24: accept +-1.5 %, reject +-3.5 %),
  - be steady: the two hops' tone energies within 7 dB (so that a window half in the tone, half out
    of it does not count).
Three valid windows in a row with the same key (four hops, 30..40 ms of tone) report the key once;
two invalid windows in a row end it, so the next key needs a pause (Q.24: 40 ms and more).
"""

from __future__ import annotations

import math
from array import array

ROWS = (697.0, 770.0, 852.0, 941.0)
COLS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"
DBM0_PEAK = 22306.0          # 16-bit peak of a 0 dBm0 sine (G.711: +3.17 dBm0 is full scale)
MIN_LEVEL_DBM0 = -33.0
TWIST_REVERSE_DB = 4.0       # column louder than row
TWIST_NORMAL_DB = 8.0        # column quieter than row
PURITY = 0.7
FREQ_TOLERANCE = 0.025
STEADY_DB = 7.0
HOPS_TO_DETECT = 3
HOPS_TO_RELEASE = 2


def _mean_square(dbm0: float) -> float:
    peak = DBM0_PEAK * 10 ** (dbm0 / 20)
    return peak * peak / 2


class DtmfDetector:
    def __init__(self, rate: int = 8000):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        self.rate = rate
        self.hop = rate // 100
        freqs = ROWS + COLS
        self._w = [2 * math.pi * f / rate for f in freqs]
        self._coef = [2 * math.cos(w) for w in self._w]
        self._min_power = _mean_square(MIN_LEVEL_DBM0)
        self._twist_lo = 10 ** (-TWIST_NORMAL_DB / 10)
        self._twist_hi = 10 ** (TWIST_REVERSE_DB / 10)
        self._steady = 10 ** (STEADY_DB / 10)
        self._pending = array("h")
        self._prev: tuple[list[complex], float] | None = None  # (amplitudes, energy) of the previous hop
        self._key = ""               # key of the current run of valid windows
        self._run = 0
        self._invalid = 0
        self._reported = ""
        self.digits = ""             # everything detected so far

    def _goertzel(self, block) -> list[complex]:
        out = []
        n = len(block)
        for w, coef in zip(self._w, self._coef):
            s1 = s2 = 0.0
            for x in block:
                s1, s2 = x + coef * s1 - s2, s1
            # y[N-1] = s1 - e^{-jw} s2; sum_n x[n] e^{-jwn} = e^{-jw(N-1)} y[N-1]
            y = complex(s1 - math.cos(w) * s2, math.sin(w) * s2)
            out.append(y * complex(math.cos(w * (n - 1)), -math.sin(w * (n - 1))))
        return out

    def feed(self, pcm) -> str:
        """16-bit PCM in any amount; returns the keys detected in it (each key once per press)."""
        self._pending.frombytes(bytes(pcm))
        found = ""
        h = self.hop
        while len(self._pending) >= h:
            block = self._pending[:h]
            del self._pending[:h]
            cur = (self._goertzel(block), float(sum(x * x for x in block)))
            if self._prev is not None:
                found += self._window(self._prev, cur)
            self._prev = cur
        self.digits += found
        return found

    def _window(self, prev, cur) -> str:
        key = self._classify(prev, cur)
        if key:
            self._invalid = 0
            self._run = self._run + 1 if key == self._key else 1
            self._key = key
            if self._run >= HOPS_TO_DETECT and self._reported != key:
                self._reported = key
                return key
        else:
            self._invalid += 1
            self._run = 0
            self._key = ""
            if self._invalid >= HOPS_TO_RELEASE:
                self._reported = ""
        return ""

    def _classify(self, prev, cur) -> str:
        (xp, ep), (xc, ec) = prev, cur
        h = self.hop
        power = [2 * (abs(a) ** 2 + abs(b) ** 2) / (h * h) / 2 for a, b in zip(xp, xc)]  # mean square per tone
        row = max(range(4), key=lambda i: power[i])
        col = 4 + max(range(4), key=lambda i: power[4 + i])
        pr, pc = power[row], power[col]
        if pr < self._min_power or pc < self._min_power:
            return ""
        if not self._twist_lo <= pc / pr <= self._twist_hi:
            return ""
        if pr + pc < PURITY * (ep + ec) / (2 * h):
            return ""
        for i in (row, col):
            a, b = abs(xp[i]) ** 2, abs(xc[i]) ** 2
            if a == 0 or b == 0 or not 1 / self._steady <= a / b <= self._steady:
                return ""
            # Phase advance over one hop, less the nominal one, is the frequency error.
            adv = math.atan2((xc[i] * xp[i].conjugate()).imag, (xc[i] * xp[i].conjugate()).real)
            err = math.remainder(adv - self._w[i] * h, 2 * math.pi)
            offset = err * self.rate / (2 * math.pi * h)
            if abs(offset) > FREQ_TOLERANCE * (ROWS + COLS)[i]:
                return ""
        return KEYS[row * 4 + (col - 4)]
