"""Adaptive, time-based jitter buffer with packet-loss concealment (C twin of reference/jitter.py).

Every packet's delay d = arrival - send time goes into a 1 ms histogram with exponential forgetting;
the target playout offset is its `quantile`. Frames that never arrive add nothing to it (a loss is not
lateness); a sustained shift of the path delay (RUN_UP delays in a row a frame above the target, or
RUN_DOWN a frame below) moves the whole distribution onto the new level at once instead of waiting
for the forgetting. get() plays frame `play` at local time `now`, offset off = now - play * ptime:
below the target the buffer grows (holds, inserting concealment), more than 1.1 frames above it
shrinks (drops a frame, a quiet one unless it is 3 frames above, crossfading over the cut). Clock drift is a slow change of d and is absorbed the same way. Reordering, duplicates,
sequence/timestamp wrap, restarts (new sequence and timestamp bases) and bursts are handled in put().
Concealment repeats the last pitch period, fading to silence over 100 ms.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.math cimport floor, sqrt
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport calloc, free, llabs
from libc.string cimport memcpy, memmove, memset

cdef enum:
    BUCKETS = 1024
    RESTART_SEQ = 3000
    WARMUP = 50
    XFADE = 32
    RUN_UP = 3             # this many delays in a row above the target + 1 frame: the path got longer
    RUN_DOWN = 25          # this many in a row below the target - 1 frame (0.5 s): it got shorter
    PEND = 32              # room for the run held back (RUN_UP, RUN_DOWN <= PEND; pend[32] in the .pxd)
    EMPTY = 0
    FULL = 1
    PLAYED = 2
    CONCEALED = 3

cdef double BUCKET = 0.001
cdef double RESTART_GAP = 10.0
cdef double QUIET = 200.0 * 200.0
cdef double SHRINK_MARGIN = 0.1    # shrink once the offset is 1.1 frames above the target (was 1.5)
KINDS = ("silence", "audio", "concealed", "expanded")


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a // b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline int _slot(int64_t idx, int capacity) noexcept nogil:
    cdef int64_t r = idx % capacity
    return <int>(r + capacity if r < 0 else r)


cdef class JitterBuffer:
    """One stream's jitter buffer (one call leg). Times are seconds on the receiver's clock."""

    def __cinit__(self, int rate=8000, int ptime_ms=20, double quantile=0.97, double forget=0.995,
                  double init_delay_ms=40.0, double max_delay_ms=1000.0):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        if not 0.5 <= quantile < 1.0 or not 0.9 <= forget < 1.0:
            raise ValueError("quantile must be within [0.5, 1) and forget within [0.9, 1)")
        if ptime_ms <= 0 or (rate * ptime_ms) % 1000:
            raise ValueError(f"ptime_ms {ptime_ms} gives no whole frame at {rate} Hz")
        self.rate = rate
        self.frame = rate * ptime_ms // 1000
        self.ptime = ptime_ms / 1000.0
        self.quantile = quantile
        self.forget = forget
        self.init_delay = init_delay_ms / 1000.0
        self.capacity = max(8, <int>(max_delay_ms / ptime_ms) + 2)
        self.slot_idx = <int64_t *>calloc(self.capacity, sizeof(int64_t))
        self.slot_state = <uint8_t *>calloc(self.capacity, sizeof(uint8_t))
        self.slot_arrival = <double *>calloc(self.capacity, sizeof(double))
        self.slot_pcm = <int16_t *>calloc(<size_t>self.capacity * self.frame, sizeof(int16_t))
        self.hist = <double *>calloc(BUCKETS, sizeof(double))
        self.history = <int16_t *>calloc(2 * self.frame, sizeof(int16_t))
        if (not self.slot_idx or not self.slot_state or not self.slot_arrival or not self.slot_pcm
                or not self.hist or not self.history):
            raise MemoryError()
        self._reset()

    def __dealloc__(self):
        free(self.slot_idx)
        free(self.slot_state)
        free(self.slot_arrival)
        free(self.slot_pcm)
        free(self.hist)
        free(self.history)

    def reset(self) -> None:
        """Forgets the stream (not the statistics counters)."""
        self._reset()

    cdef void _reset(self) noexcept nogil:
        cdef int i
        self.started = False
        self.playing = False
        self.kind_ = 0
        self.last_ts = 0
        self.last_seq = 0
        self.last_idx = 0
        self.last_arrival = 0.0
        self.ts_base = 0
        self.ext = 0
        self.play = 0
        memset(self.hist, 0, BUCKETS * sizeof(double))
        self.ref = 0.0
        self.weight = 1.0
        self.total = 0.0
        self.qi = 0
        self.below = 0.0
        self.packets = 0
        self.dmin = 1e300
        self.npend = 0
        self.pdir = 0
        memset(self.history, 0, 2 * self.frame * sizeof(int16_t))
        self.concealing = 0
        self.pitch = self.frame
        self.phase = 0
        for i in range(self.capacity):
            self.slot_idx[i] = -1
            self.slot_state[i] = EMPTY

    @property
    def kind(self) -> str:
        """What the last get() returned: silence (not started), audio, concealed (lost) or expanded (grown)."""
        return KINDS[self.kind_]

    def stats(self) -> dict:
        return {
            "received": self.received, "played": self.played, "late": self.late,
            "duplicates": self.duplicates, "concealed": self.concealed, "expanded": self.expanded,
            "dropped": self.dropped, "overflow": self.overflow, "restarts": self.restarts,
            "reanchored": self.reanchored,
            "late_loss": <double>self.late / self.received if self.received else 0.0,
            "delay_ms": self.delay * 1000.0,
            "mean_delay_ms": self.delay_sum / self.played * 1000.0 if self.played else 0.0,
            "target_ms": (self._target() - self._recent_low()) * 1000.0 if self.started else 0.0,
        }

    # -- delay statistics -------------------------------------------------------------------------

    cdef double _recent_low(self) noexcept nogil:
        return self._level(1e-3)

    cdef double _level(self, double frac) noexcept nogil:
        """The delay below which `frac` of the (forgetting) weight lies, to the bucket (O(BUCKETS))."""
        cdef double acc = 0.0
        cdef int b = 0
        while b < BUCKETS - 1 and acc + self.hist[b] < frac * self.total:
            acc += self.hist[b]
            b += 1
        return self.ref + b * BUCKET

    cdef void _shift(self, int s) noexcept nogil:
        """Moves the contents s buckets up (s > 0, the reference moves down) or down, keeping absolute delays."""
        cdef double *h = self.hist
        cdef double acc = 0.0
        cdef int i
        if s > 0:
            if s > BUCKETS - 1:
                s = BUCKETS - 1
            for i in range(BUCKETS - s, BUCKETS):
                acc += h[i]
            memmove(h + s, h, (BUCKETS - s) * sizeof(double))
            memset(h, 0, s * sizeof(double))
            h[BUCKETS - 1] += acc
            self.ref -= s * BUCKET
        else:
            s = -s
            if s > BUCKETS - 1:
                s = BUCKETS - 1
            for i in range(s + 1):
                acc += h[i]
            memmove(h, h + s, (BUCKETS - s) * sizeof(double))
            memset(h + BUCKETS - s, 0, s * sizeof(double))
            h[0] = acc
            self.ref += s * BUCKET
        self.qi = 0
        self.below = 0.0
        self._settle()

    cdef void _settle(self) noexcept nogil:
        cdef double want = self.quantile * self.total
        while self.below + self.hist[self.qi] < want and self.qi < BUCKETS - 1:
            self.below += self.hist[self.qi]
            self.qi += 1
        while self.qi > 0 and self.below >= want:
            self.qi -= 1
            self.below -= self.hist[self.qi]

    cdef void _observe(self, double d) noexcept nogil:
        cdef int64_t b
        if self.packets == 0:
            self.ref = d - 64 * BUCKET
        b = <int64_t>floor((d - self.ref) / BUCKET)
        if b < 0:
            self._shift(<int>(-b + 32))
            b = <int64_t>floor((d - self.ref) / BUCKET)
        if b < 0:
            b = 0
        if b > BUCKETS - 1:
            b = BUCKETS - 1
        # Forgetting by growing the weight of new samples; renormalised long before it overflows.
        self.weight /= self.forget
        self.hist[b] += self.weight
        self.total += self.weight
        if b < self.qi:
            self.below += self.weight
        self._settle()
        self.packets += 1
        if d < self.dmin:
            self.dmin = d
        if self.weight > 1e6:
            self._renormalise()

    cdef void _renormalise(self) noexcept nogil:
        cdef double w = self.weight
        cdef int i, low = 0
        for i in range(BUCKETS):
            self.hist[i] /= w
        self.total /= w
        self.weight = 1.0
        # Let the reference follow delays that went up for good (and forget the old minimum).
        while low < BUCKETS - 1 and self.hist[low] < 1e-4 * self.total:
            low += 1
        self.dmin = self.ref + low * BUCKET
        if low > 96:
            self._shift(-(low - 64))
        else:
            self.qi = 0
            self.below = 0.0
            self._settle()

    cdef void _sample(self, double d) noexcept nogil:
        """One packet's delay. A run of delays on one side of the target, more than a frame away, is held
        back: if the run breaks it goes into the histogram as usual; if it lasts (RUN_UP above, RUN_DOWN
        below) the path delay has shifted and the whole histogram is moved onto the new level first."""
        cdef double t
        cdef int side = 0
        if self.packets >= WARMUP:
            t = self._target()
            if d > t + self.ptime:
                side = 1
            elif d < t - self.ptime:
                side = -1
        if side != 0 and (self.npend == 0 or side == self.pdir):
            self.pend[self.npend] = d
            self.npend += 1
            self.pdir = side
            if self.npend >= (RUN_UP if side > 0 else RUN_DOWN):
                self._reanchor()
                self._flush()
            return
        self._flush()
        if side != 0:
            self.pend[0] = d
            self.npend = 1
            self.pdir = side
        else:
            self._observe(d)

    cdef void _flush(self) noexcept nogil:
        cdef int i, n = self.npend
        self.npend = 0
        for i in range(n):
            self._observe(self.pend[i])

    cdef void _reanchor(self) noexcept nogil:
        """Moves the delay distribution (its shape, i.e. the jitter, kept) onto the level of the run held
        back. Up: its low edge to the run's lowest delay. Down: its median to the run's median, but not
        below what keeps the run's highest delay under the target, and only if that is a frame or more
        (a run of the usual low delays between rare late ones, reordering or a heavy tail, moves the
        median by nothing; a shorter path moves it by all of the step)."""
        cdef double run[PEND]
        cdef double delta, top, x
        cdef int i, j, n = self.npend
        for i in range(n):                      # insertion sort of the (at most 32) delays held back
            x = self.pend[i]
            j = i
            while j > 0 and run[j - 1] > x:
                run[j] = run[j - 1]
                j -= 1
            run[j] = x
        if self.pdir > 0:
            delta = run[0] - self._recent_low()
        else:
            delta = run[n // 2] - self._level(0.5)
            top = run[n - 1] - self._target() + BUCKET
            if top > delta:
                delta = top
            if delta > -self.ptime:
                return
        self.ref += delta
        self.dmin += delta
        self.reanchored += 1

    cdef double _target(self) noexcept nogil:
        cdef double t = self.ref + (self.qi + 1) * BUCKET
        if self.packets < WARMUP and t < self.dmin + self.init_delay:
            t = self.dmin + self.init_delay
        return t

    # -- packets in -------------------------------------------------------------------------------

    def put(self, int seq, int64_t ts, const unsigned char[::1] pcm not None, double arrival) -> None:
        """One frame of 16-bit PCM with its RTP sequence number and timestamp, arrived at `arrival` (s)."""
        if pcm.shape[0] != 2 * self.frame:
            raise ValueError(f"a frame is {2 * self.frame} bytes at {self.rate} Hz, got {pcm.shape[0]}")
        self.put_frame(seq & 0xFFFF, <uint32_t>(ts & 0xFFFFFFFF), <const int16_t *>&pcm[0], arrival)

    cdef void put_frame(self, int seq, uint32_t ts, const int16_t *pcm, double arrival) noexcept nogil:
        cdef int64_t idx, ext, dts, new_play, k
        cdef int dseq, slot, s
        self.received += 1
        if not self.started:
            self.started = True
            self.ts_base = ts
            self.ext = ts
            self.last_ts = ts
            self.last_seq = seq
            self.last_idx = 0
            self.last_arrival = arrival
            self.play = 0
            idx = 0
        else:
            # Unwrap against the newest packet: 32-bit timestamps and 16-bit sequence numbers wrap.
            dts = <int64_t>(<int32_t>(ts - self.last_ts))
            dseq = <int>(<int16_t>(<uint32_t>(seq - self.last_seq) & 0xFFFF))
            if llabs(dts) > RESTART_GAP * self.rate or (dseq if dseq >= 0 else -dseq) > RESTART_SEQ:
                # A new stream: its first frame goes where the old stream would be by now.
                self.restarts += 1
                k = <int64_t>floor((arrival - self.last_arrival) / self.ptime + 0.5)
                idx = self.last_idx + (k if k > 1 else 1)
                ext = self.ts_base + idx * self.frame
                dts = 1
            else:
                ext = self.ext + dts
                idx = _floordiv(ext - self.ts_base + self.frame // 2, self.frame)
            if dts > 0:
                self.ext = ext
                self.last_ts = ts
                self.last_seq = seq
                self.last_idx = idx
                self.last_arrival = arrival
        slot = _slot(idx, self.capacity)
        if self.slot_idx[slot] == idx and (self.slot_state[slot] == FULL or self.slot_state[slot] == PLAYED):
            self.duplicates += 1
            self.received -= 1
            return
        self._sample(arrival - idx * self.ptime)
        if idx < self.play:
            self.late += 1
            return
        if idx >= self.play + self.capacity:
            # Far ahead of playout (the clock stalled): skip forward, losing what is in between.
            new_play = idx - self.capacity + 1
            for k in range(self.play, new_play):
                s = _slot(k, self.capacity)
                if self.slot_idx[s] == k and self.slot_state[s] == FULL:
                    self.overflow += 1
            self.play = new_play
        self.slot_idx[slot] = idx
        self.slot_state[slot] = FULL
        self.slot_arrival[slot] = arrival
        memcpy(self.slot_pcm + <size_t>slot * self.frame, pcm, self.frame * sizeof(int16_t))

    # -- frames out -------------------------------------------------------------------------------

    cdef bint _present(self, int64_t idx) noexcept nogil:
        cdef int s = _slot(idx, self.capacity)
        return self.slot_idx[s] == idx and self.slot_state[s] == FULL

    cdef bint _quiet(self, int64_t idx) noexcept nogil:
        cdef int s = _slot(idx, self.capacity), i
        cdef const int16_t *p = self.slot_pcm + <size_t>s * self.frame
        cdef int64_t acc = 0
        for i in range(self.frame):
            acc += <int32_t>p[i] * p[i]
        return <double>acc / self.frame < QUIET

    def get(self, double now) -> bytes:
        """The frame to play at local time `now` (called once per tick): audio, concealment or silence."""
        out = PyBytes_FromStringAndSize(NULL, 2 * self.frame)
        self.get_frame(now, <int16_t *>PyBytes_AS_STRING(out))
        return out

    cdef void get_frame(self, double now, int16_t *out) noexcept nogil:
        cdef double err
        cdef bint present
        cdef int s
        self.kind_ = 0
        if not self.started:
            memset(out, 0, self.frame * sizeof(int16_t))
            return
        err = (now - self.play * self.ptime) - self._target()
        present = self._present(self.play)
        if not self.playing:
            if err < 0 or not present:
                memset(out, 0, self.frame * sizeof(int16_t))  # still buffering the start
                return
            self.playing = True
        if present:
            if err > (1.0 + SHRINK_MARGIN) * self.ptime and self._present(self.play + 1) and (
                    err > 3 * self.ptime or self._quiet(self.play)):
                self._play_frame(now, True, out)
                return
            if err < 0:
                # Behind the target: packets are about to come late. Growing now costs one inserted
                # frame; waiting costs a late loss and a concealed frame anyway.
                self.expanded += 1
                self._conceal(False, out)
                return
            self._play_frame(now, False, out)
            return
        if err < 0:
            self.expanded += 1                # not here yet and we can afford to wait: grow
            self._conceal(False, out)
            return
        s = _slot(self.play, self.capacity)
        self.slot_idx[s] = self.play          # given up on: concealed; if it comes now it is late
        self.slot_state[s] = CONCEALED
        self.play += 1
        self.concealed += 1
        self._conceal(True, out)

    cdef void _play_frame(self, double now, bint drop_first, int16_t *out) noexcept nogil:
        cdef int f = self.frame, i, p, n = 2 * self.frame
        cdef int s = _slot(self.play, self.capacity)
        cdef const int16_t *cut
        memcpy(out, self.slot_pcm + <size_t>s * f, f * sizeof(int16_t))
        if drop_first:
            # Shrink: skip this frame; crossfade from it into the next so the cut does not click.
            self.dropped += 1
            self.slot_state[s] = PLAYED
            self.play += 1
            cut = self.slot_pcm + <size_t>s * f
            s = _slot(self.play, self.capacity)
            memcpy(out, self.slot_pcm + <size_t>s * f, f * sizeof(int16_t))
            for i in range(XFADE):
                out[i] = <int16_t>((cut[i] * (XFADE - i) + out[i] * i) >> 5)
        elif self.concealing:
            # Back from concealment: crossfade from the concealment's continuation into real audio.
            p = self.pitch
            for i in range(XFADE):
                out[i] = <int16_t>((self.history[n - p + (self.phase + i) % p] * (XFADE - i) + out[i] * i) >> 5)
        self.concealing = 0
        self.kind_ = 1
        self.slot_state[s] = PLAYED
        self.play += 1
        self.played += 1
        self.delay = now - self.slot_arrival[s]
        self.delay_sum += self.delay
        memmove(self.history, self.history + f, f * sizeof(int16_t))
        memcpy(self.history + f, out, f * sizeof(int16_t))

    cdef void _find_pitch(self) noexcept nogil:
        """Period of the recent signal: the lag (2.5 .. 15 ms) with the best normalised correlation."""
        cdef const int16_t *h = self.history
        cdef int n = 2 * self.frame, lo = self.rate // 400, hi = self.rate * 15 // 1000, win = self.frame // 2
        cdef int lag, i, best_lag = self.frame
        cdef int64_t num, en
        cdef double score, best = -1.0
        if hi > self.frame:
            hi = self.frame
        for lag in range(lo, hi + 1):
            num = 0
            en = 0
            for i in range(n - win, n):
                num += <int32_t>h[i] * h[i - lag]
                en += <int32_t>h[i - lag] * h[i - lag]
            score = num / sqrt(<double>en) if en > 0 else 0.0
            if score > best:
                best = score
                best_lag = lag
        self.pitch = best_lag
        self.phase = 0

    cdef void _conceal(self, bint count, int16_t *out) noexcept nogil:
        cdef int f = self.frame, n = 2 * self.frame, i, p
        cdef int k
        cdef double g0, g1
        if self.concealing == 0:
            self._find_pitch()
        k = self.concealing
        g0 = 1.0 - 0.2 * k
        g1 = 1.0 - 0.2 * (k + 1)                # silent after 5 frames
        if g0 < 0.0:
            g0 = 0.0
        if g1 < 0.0:
            g1 = 0.0
        p = self.pitch
        for i in range(f):
            out[i] = <int16_t>(<int>(self.history[n - p + (self.phase + i) % p] * (g0 + (g1 - g0) * i / f)))
        self.phase = (self.phase + f) % p
        self.concealing += 1
        self.kind_ = 2 if count else 3
