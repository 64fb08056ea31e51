# C-level view of the media hub: one pjmedia_port per call leg, all legs of a hub sharing one Mixer.
# The bridge's clock thread calls the ports' put_frame/get_frame; the hub mixes once per bridge tick.
from libc.stdint cimport int32_t, int64_t, uint64_t
from cpython.pythread cimport PyThread_type_lock

from pj cimport pj_pool_t
from pjmedia cimport pjmedia_port

cdef struct LegPort

# The tick histogram: intervals between consecutive mixes, 0.1 ms buckets up to 100 ms, then overflow.
cdef enum:
    TICK_BUCKET_NS = 100000
    TICK_BUCKETS = 1001
    DIGIT_RING = 32             # keys held per leg between two take_digits() (a few seconds of keying)

cdef struct HubCore:
    PyThread_type_lock lock
    void *mixer                 # the Mixer, a strong reference owned by the core (borrowed by the callbacks)
    int32_t frame               # samples per frame
    int32_t closed              # set by close(): callbacks then do nothing
    int32_t live                # ports pjmedia has not destroyed yet
    int32_t dirty               # a put_frame happened since the last mix
    uint64_t ts                 # bridge timestamp of the last put_frame
    uint64_t gen                # mixes done (the tick counter)
    int32_t capacity
    LegPort **legs              # by leg id; NULL once pjmedia destroyed the port
    int64_t tick_last_ns        # CLOCK_MONOTONIC of the last mix (0: none yet, or the hub was empty)
    uint64_t tick_count         # intervals in the histogram (since creation or the last reset)
    int64_t tick_max_ns         # longest of them
    uint64_t tick_hist[TICK_BUCKETS]

cdef struct LegPort:
    pjmedia_port base           # first: the bridge holds a pjmedia_port *
    pj_pool_t *pool             # owns this struct; released by on_destroy
    HubCore *core
    int32_t index               # leg id
    int32_t conn                # mixer connection, -1 while the leg is in no conference
    uint64_t put_gen            # core.gen at this leg's last put_frame
    uint64_t frames_in          # audio frames the bridge gave us
    uint64_t frames_out         # audio frames we gave the bridge
    void *dtmf                  # a DtmfDetector fed with what the leg says (borrowed; NULL: off)
    char digits[DIGIT_RING]     # keys it found, waiting for take_digits()
    int32_t ndigits

cdef class MediaHub:
    cdef HubCore *core
    cdef readonly object mixer
    cdef readonly int rate
    cdef readonly int frame
    cdef dict legs              # leg id -> _Leg (Python-side bookkeeping)
    cdef dict recordings        # Recorder -> tap id
    cdef object writer          # RecorderWriter, started on the first recording

    cdef int _open(self) except -1
    cdef LegPort *_port(self, int leg) except NULL
