# C-level API of the adaptive jitter buffer: the pjmedia port puts decoded frames and gets one per tick.
from libc.stdint cimport int16_t, int64_t, uint8_t, uint32_t

cdef class JitterBuffer:
    cdef readonly int rate
    cdef readonly int frame
    cdef readonly int capacity
    cdef readonly double ptime
    cdef readonly double quantile
    cdef readonly double forget
    cdef readonly double init_delay
    # slots (a ring indexed by frame index)
    cdef int64_t *slot_idx
    cdef uint8_t *slot_state
    cdef double *slot_arrival
    cdef int16_t *slot_pcm
    # delay histogram with forgetting, and its running quantile
    cdef double *hist
    cdef double ref, weight, total, below, dmin
    cdef int qi
    cdef int64_t packets
    # a run of delays held back on one side of the target (pdir +1 above, -1 below): a level shift?
    cdef double pend[32]
    cdef int npend, pdir
    # stream position
    cdef bint started, playing
    cdef int kind_
    cdef uint32_t last_ts
    cdef int last_seq
    cdef int64_t last_idx, ts_base, ext, play
    cdef double last_arrival
    # concealment
    cdef int16_t *history          # the last two frames played
    cdef int concealing, pitch, phase
    # statistics
    cdef readonly int64_t received, late, duplicates, concealed, expanded, dropped, overflow, played, restarts, reanchored
    cdef double delay, delay_sum

    cdef void put_frame(self, int seq, uint32_t ts, const int16_t *pcm, double arrival) noexcept nogil
    cdef void get_frame(self, double now, int16_t *out) noexcept nogil
    cdef void _shift(self, int s) noexcept nogil
    cdef void _settle(self) noexcept nogil
    cdef void _observe(self, double d) noexcept nogil
    cdef void _sample(self, double d) noexcept nogil
    cdef void _flush(self) noexcept nogil
    cdef void _reanchor(self) noexcept nogil
    cdef void _renormalise(self) noexcept nogil
    cdef double _target(self) noexcept nogil
    cdef double _recent_low(self) noexcept nogil
    cdef double _level(self, double frac) noexcept nogil
    cdef bint _present(self, int64_t idx) noexcept nogil
    cdef bint _quiet(self, int64_t idx) noexcept nogil
    cdef void _play_frame(self, double now, bint drop_first, int16_t *out) noexcept nogil
    cdef void _find_pitch(self) noexcept nogil
    cdef void _conceal(self, bint count, int16_t *out) noexcept nogil
    cdef void _reset(self) noexcept nogil
