"""The adaptive jitter buffer in plain Python (the compiled cython_ext.jitter follows it line by line).

Time-based: every packet's delay d = arrival - send time (send time from its timestamp, in the
receiver's clock up to a constant) goes into a histogram with exponential forgetting; the target
playout offset is a high quantile of d. Each get() plays frame `play` at local time `now`, i.e. with
offset off = now - play * ptime. If off < target the buffer grows (holds, inserting concealment);
if off > target + 1.1 frames it shrinks (drops a frame, a quiet one unless 3 frames above,
crossfading over the cut). Drift between the clocks shows up as a slow change of d and is absorbed
the same way. Frames that never arrive give no delay sample (a loss is not lateness); a sustained
shift of the path delay (RUN_UP delays in a row a frame above the target, or RUN_DOWN a frame below)
moves the whole distribution onto the new level at once instead of waiting for the forgetting.
"""

from __future__ import annotations

import math
from array import array

BUCKET = 0.001           # histogram resolution: 1 ms
BUCKETS = 1024           # covers 1.024 s of delay variation above the histogram's reference
RESTART_GAP = 10.0       # a timestamp jump of more than this many seconds is a new stream
RESTART_SEQ = 3000       # so is a sequence jump this large
WARMUP = 50              # packets before the histogram alone sets the target
QUIET = 200 * 200        # mean square below this (about -44 dBov) is a quiet frame
XFADE = 32               # samples crossfaded over every splice
RUN_UP = 3               # this many delays in a row above the target + 1 frame: the path got longer
RUN_DOWN = 25            # this many in a row below the target - 1 frame (0.5 s): it got shorter
SHRINK_MARGIN = 0.1      # shrink once the offset is 1.1 frames above the target
EMPTY, FULL, PLAYED, CONCEALED = 0, 1, 2, 3
KINDS = ("silence", "audio", "concealed", "expanded")   # what the last get() returned


def _mean_square(frame) -> float:
    return sum(x * x for x in frame) / len(frame)


class JitterBuffer:
    def __init__(self, rate: int = 8000, ptime_ms: int = 20, quantile: float = 0.97,
                 forget: float = 0.995, init_delay_ms: float = 40.0, max_delay_ms: float = 1000.0):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        if not 0.5 <= quantile < 1.0 or not 0.9 <= forget < 1.0:
            raise ValueError("quantile must be within [0.5, 1) and forget within [0.9, 1)")
        self.rate, self.frame = rate, rate * ptime_ms // 1000
        self.ptime = ptime_ms / 1000.0
        self.quantile, self.forget = quantile, forget
        self.init_delay = init_delay_ms / 1000.0
        self.capacity = max(8, int(max_delay_ms / ptime_ms) + 2)
        self._slot_idx = [-1] * self.capacity
        self._slot_state = [EMPTY] * self.capacity
        self._slot_arrival = [0.0] * self.capacity
        self._slot_pcm = [array("h", bytes(2 * self.frame)) for _ in range(self.capacity)]
        self._hist = [0.0] * BUCKETS
        self.reset()

    # -- state ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets the stream (not the statistics counters)."""
        self._started = False
        self._playing = False
        self._kind = 0
        self._last_ts = 0
        self._last_seq = 0
        self._last_idx = 0
        self._last_arrival = 0.0
        self._ts_base = 0            # extended timestamp of frame index 0
        self._ext = 0                # extended timestamp of the newest packet
        self._play = 0
        self._hist = [0.0] * BUCKETS
        self._ref = 0.0
        self._weight = 1.0
        self._total = 0.0
        self._qi = 0
        self._below = 0.0
        self._packets = 0
        self._dmin = math.inf
        self._pend: list[float] = []  # a run of delays held back on one side of the target: a level shift?
        self._pdir = 0                # +1 above, -1 below
        self._history = array("h", bytes(4 * self.frame))   # the last two frames played
        self._concealing = 0
        self._pitch = self.frame
        self._phase = 0
        for i in range(self.capacity):
            self._slot_idx[i] = -1
            self._slot_state[i] = EMPTY
        if not hasattr(self, "received"):
            self.received = self.late = self.duplicates = self.concealed = 0
            self.expanded = self.dropped = self.overflow = self.played = self.restarts = 0
            self.reanchored = 0
            self.delay = 0.0
            self._delay_sum = 0.0

    @property
    def kind(self) -> str:
        """What the last get() returned: silence (not started), audio, concealed (lost) or expanded (grown)."""
        return KINDS[self._kind]

    def stats(self) -> dict:
        return {
            "received": self.received, "played": self.played, "late": self.late,
            "duplicates": self.duplicates, "concealed": self.concealed, "expanded": self.expanded,
            "dropped": self.dropped, "overflow": self.overflow, "restarts": self.restarts,
            "reanchored": self.reanchored,
            "late_loss": self.late / self.received if self.received else 0.0,
            "delay_ms": self.delay * 1000.0,
            "mean_delay_ms": self._delay_sum / self.played * 1000.0 if self.played else 0.0,
            "target_ms": (self._target() - self._recent_low()) * 1000.0 if self._started else 0.0,
        }

    def _recent_low(self) -> float:
        """The low edge of the recent delays (0.1 % of the weight below it)."""
        return self._level(1e-3)

    def _level(self, frac: float) -> float:
        """The delay below which `frac` of the (forgetting) weight lies, to the bucket (O(BUCKETS))."""
        acc, b = 0.0, 0
        while b < BUCKETS - 1 and acc + self._hist[b] < frac * self._total:
            acc += self._hist[b]
            b += 1
        return self._ref + b * BUCKET

    # -- delay statistics -------------------------------------------------------------------------

    def _shift(self, s: int) -> None:
        """Moves the contents s buckets up (s > 0, the reference moves down) or down, keeping absolute delays."""
        h = self._hist
        if s > 0:
            s = min(s, BUCKETS - 1)
            top = sum(h[BUCKETS - s:])
            self._hist = [0.0] * s + h[:BUCKETS - s]
            self._hist[BUCKETS - 1] += top
            self._ref -= s * BUCKET
        else:
            s = min(-s, BUCKETS - 1)
            low = sum(h[:s + 1])
            self._hist = h[s:] + [0.0] * s
            self._hist[0] = low
            self._ref += s * BUCKET
        self._recount()

    def _recount(self) -> None:
        self._qi, self._below = 0, 0.0
        self._settle()

    def _settle(self) -> None:
        h, want = self._hist, self.quantile * self._total
        while self._below + h[self._qi] < want and self._qi < BUCKETS - 1:
            self._below += h[self._qi]
            self._qi += 1
        while self._qi > 0 and self._below >= want:
            self._qi -= 1
            self._below -= h[self._qi]

    def _observe(self, d: float) -> None:
        if self._packets == 0:
            self._ref = d - 64 * BUCKET
        b = int(math.floor((d - self._ref) / BUCKET))
        if b < 0:
            self._shift(-b + 32)
            b = int(math.floor((d - self._ref) / BUCKET))
        b = min(max(b, 0), BUCKETS - 1)
        # Forgetting by growing the weight of new samples; renormalised long before it overflows.
        self._weight /= self.forget
        self._hist[b] += self._weight
        self._total += self._weight
        if b < self._qi:
            self._below += self._weight
        self._settle()
        self._packets += 1
        self._dmin = min(self._dmin, d)
        if self._weight > 1e6:
            self._renormalise()

    def _renormalise(self) -> None:
        w = self._weight
        self._hist = [x / w for x in self._hist]
        self._total /= w
        self._weight = 1.0
        # Let the reference follow delays that went up for good (and forget the old minimum).
        low = 0
        while low < BUCKETS - 1 and self._hist[low] < 1e-4 * self._total:
            low += 1
        self._dmin = self._ref + low * BUCKET
        if low > 96:
            self._shift(-(low - 64))
        else:
            self._recount()

    def _sample(self, d: float) -> None:
        """One packet's delay. A run of delays on one side of the target, more than a frame away, is held
        back: if the run breaks it goes into the histogram as usual; if it lasts (RUN_UP above, RUN_DOWN
        below) the path delay has shifted and the whole histogram is moved onto the new level first.
        Frames that never arrive give no delay at all: a loss never raises the target."""
        side = 0
        if self._packets >= WARMUP:
            t = self._target()
            if d > t + self.ptime:
                side = 1
            elif d < t - self.ptime:
                side = -1
        if side != 0 and (not self._pend or side == self._pdir):
            self._pend.append(d)
            self._pdir = side
            if len(self._pend) >= (RUN_UP if side > 0 else RUN_DOWN):
                self._reanchor()
                self._flush()
            return
        self._flush()
        if side != 0:
            self._pend, self._pdir = [d], side
        else:
            self._observe(d)

    def _flush(self) -> None:
        pend, self._pend = self._pend, []
        for d in pend:
            self._observe(d)

    def _reanchor(self) -> None:
        """Moves the delay distribution (its shape, i.e. the jitter, kept) onto the level of the run held
        back. Up: its low edge to the run's lowest delay. Down: its median to the run's median, but not
        below what keeps the run's highest delay under the target, and only if that is a frame or more
        (a run of the usual low delays between rare late ones, reordering or a heavy tail, moves the
        median by nothing; a shorter path moves it by all of the step)."""
        run = sorted(self._pend)
        if self._pdir > 0:
            delta = run[0] - self._recent_low()
        else:
            delta = max(run[len(run) // 2] - self._level(0.5), run[-1] - self._target() + BUCKET)
            if delta > -self.ptime:
                return
        self._ref += delta
        self._dmin += delta
        self.reanchored += 1

    def _target(self) -> float:
        t = self._ref + (self._qi + 1) * BUCKET
        if self._packets < WARMUP:
            t = max(t, self._dmin + self.init_delay)
        return t

    # -- packets in -------------------------------------------------------------------------------

    def put(self, seq: int, ts: int, pcm, arrival: float) -> None:
        """One frame of 16-bit PCM with its RTP sequence number and timestamp, arrived at `arrival` (s)."""
        data = bytes(pcm)
        if len(data) != 2 * self.frame:
            raise ValueError(f"a frame is {2 * self.frame} bytes at {self.rate} Hz, got {len(data)}")
        seq &= 0xFFFF
        ts &= 0xFFFFFFFF
        self.received += 1
        if not self._started:
            self._started = True
            self._ts_base = self._ext = ts
            self._last_ts, self._last_seq, self._last_idx, self._last_arrival = ts, seq, 0, arrival
            self._play = 0
            idx = 0
        else:
            # Unwrap against the newest packet: 32-bit timestamps and 16-bit sequence numbers wrap.
            dts = ((ts - self._last_ts + 0x80000000) & 0xFFFFFFFF) - 0x80000000
            dseq = ((seq - self._last_seq + 0x8000) & 0xFFFF) - 0x8000
            if abs(dts) > RESTART_GAP * self.rate or abs(dseq) > RESTART_SEQ:
                # A new stream: its first frame goes where the old stream would be by now.
                self.restarts += 1
                idx = self._last_idx + max(1, int(math.floor((arrival - self._last_arrival) / self.ptime + 0.5)))
                ext = self._ts_base + idx * self.frame
                dts = 1
            else:
                ext = self._ext + dts
                idx = (ext - self._ts_base + self.frame // 2) // self.frame
            if dts > 0:
                self._ext, self._last_ts, self._last_seq = ext, ts, seq
                self._last_idx, self._last_arrival = idx, arrival
        slot = idx % self.capacity
        if self._slot_idx[slot] == idx and self._slot_state[slot] in (FULL, PLAYED):
            self.duplicates += 1
            self.received -= 1
            return
        self._sample(arrival - idx * self.ptime)
        if idx < self._play:
            self.late += 1
            return
        if idx >= self._play + self.capacity:
            # Far ahead of playout (the clock stalled): skip forward, losing what is in between.
            new_play = idx - self.capacity + 1
            for k in range(self._play, new_play):
                s = k % self.capacity
                if self._slot_idx[s] == k and self._slot_state[s] == FULL:
                    self.overflow += 1
            self._play = new_play
        self._slot_idx[slot] = idx
        self._slot_state[slot] = FULL
        self._slot_arrival[slot] = arrival
        self._slot_pcm[slot] = array("h", data)

    # -- frames out -------------------------------------------------------------------------------

    def _present(self, idx: int) -> bool:
        s = idx % self.capacity
        return self._slot_idx[s] == idx and self._slot_state[s] == FULL

    def get(self, now: float) -> bytes:
        """The frame to play at local time `now` (called once per tick): audio, concealment or silence."""
        self._kind = 0
        if not self._started:
            return bytes(2 * self.frame)
        err = (now - self._play * self.ptime) - self._target()
        present = self._present(self._play)
        if not self._playing:
            if err < 0 or not present:
                return bytes(2 * self.frame)  # still buffering the start
            self._playing = True
        if present:
            if err > (1.0 + SHRINK_MARGIN) * self.ptime and self._present(self._play + 1) and (
                    err > 3 * self.ptime or self._quiet(self._play)):
                return self._play_frame(now, drop_first=True)
            if err < 0:
                # Behind the target: packets are about to come late. Growing now costs one inserted
                # frame; waiting costs a late loss and a concealed frame anyway.
                self.expanded += 1
                return self._conceal(count=False)
            return self._play_frame(now)
        if err < 0:
            self.expanded += 1                # not here yet and we can afford to wait: grow
            return self._conceal(count=False)
        s = self._play % self.capacity       # given up on: concealed; if it comes now it is late
        self._slot_idx[s], self._slot_state[s] = self._play, CONCEALED
        self._play += 1
        self.concealed += 1
        return self._conceal(count=True)

    def _quiet(self, idx: int) -> bool:
        return _mean_square(self._slot_pcm[idx % self.capacity]) < QUIET

    def _play_frame(self, now: float, drop_first: bool = False) -> bytes:
        s = self._play % self.capacity
        pcm = array("h", self._slot_pcm[s])
        if drop_first:
            # Shrink: skip this frame; crossfade from it into the next so the cut does not click.
            self.dropped += 1
            self._slot_state[s] = PLAYED
            self._play += 1
            cut = pcm
            s = self._play % self.capacity
            pcm = array("h", self._slot_pcm[s])
            for i in range(XFADE):
                pcm[i] = (cut[i] * (XFADE - i) + pcm[i] * i) >> 5  # / XFADE, rounding down
        elif self._concealing:
            # Back from concealment: crossfade from the concealment's continuation into real audio.
            tail = self._extend(XFADE)
            for i in range(XFADE):
                pcm[i] = (tail[i] * (XFADE - i) + pcm[i] * i) >> 5
        self._concealing = 0
        self._kind = 1
        self._slot_state[s] = PLAYED
        self._play += 1
        self.played += 1
        self.delay = now - self._slot_arrival[s]
        self._delay_sum += self.delay
        self._remember(pcm)
        return pcm.tobytes()

    def _remember(self, pcm) -> None:
        self._history = self._history[self.frame:] + pcm

    def _find_pitch(self) -> None:
        """Period of the recent signal: the lag (2.5 .. 15 ms) with the best normalised correlation."""
        h, n = self._history, len(self._history)
        lo, hi, win = self.rate // 400, min(self.rate * 15 // 1000, self.frame), self.frame // 2
        best, best_lag = -1.0, self.frame
        for lag in range(lo, hi + 1):
            num = en = 0
            for i in range(n - win, n):
                num += h[i] * h[i - lag]
                en += h[i - lag] * h[i - lag]
            score = num / math.sqrt(en) if en > 0 else 0.0
            if score > best:
                best, best_lag = score, lag
        self._pitch, self._phase = best_lag, 0

    def _extend(self, count: int) -> list[int]:
        """The next `count` samples of the periodic continuation of the last pitch period played."""
        h, n, p = self._history, len(self._history), self._pitch
        return [h[n - p + (self._phase + i) % p] for i in range(count)]

    def _conceal(self, count: bool) -> bytes:
        f = self.frame
        if self._concealing == 0:
            self._find_pitch()
        k = self._concealing
        g0, g1 = max(0.0, 1.0 - 0.2 * k), max(0.0, 1.0 - 0.2 * (k + 1))   # silent after 5 frames
        ext = self._extend(f)
        self._phase = (self._phase + f) % self._pitch
        out = array("h", [int(x * (g0 + (g1 - g0) * i / f)) for i, x in enumerate(ext)])
        self._concealing += 1
        self._kind = 2 if count else 3
        return out.tobytes()
