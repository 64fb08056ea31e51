# C-level API of the conference mixer, used by the pjmedia port: a leg writes its frame into its input
# slot and marks it, one mix() per tick fills every output slot and every stereo tap.
from libc.stdint cimport int16_t, int32_t
from cpython.pythread cimport PyThread_type_lock
from cython_ext.recorder cimport Ring

cdef enum:
    UNITY = 4096            # gains are Q12 fixed point: 4096 == 1.0
    MAX_GAIN = 8 * 4096

cdef enum Role:
    ROLE_PARTY = 0          # a caller in a conference, or the customer of a call
    ROLE_AGENT = 1          # hears supervisors who whisper
    ROLE_SUPERVISOR = 2

cdef enum Mode:
    MODE_TALK = 0           # heard by everyone (barge is this)
    MODE_LISTEN = 1         # heard by no one
    MODE_WHISPER = 2        # heard by agents only

cdef struct Connection:
    int32_t conference      # -1: slot free
    int32_t role
    int32_t mode
    int32_t speak_gain      # Q12, applied to what this connection says
    int32_t hear_gain       # Q12, applied to what it hears
    int32_t muted
    int32_t has_input       # set by write/mark_input, cleared by the tick

cdef struct Conference:
    int32_t used
    int32_t n
    int32_t cap
    int32_t *members

cdef struct Tap:
    int32_t left            # -1: slot free
    int32_t right
    int16_t *frame          # 2 * frame samples, interleaved L R
    Ring *sink              # a Recorder's ring the tick appends to, or NULL

cdef class Mixer:
    cdef readonly int rate
    cdef readonly int frame
    cdef readonly int capacity
    cdef int conf_top, conn_top, tap_top   # one past the highest slot ever used: the tick scans no further
    cdef Connection *conns
    cdef Conference *confs
    cdef Tap *taps
    cdef int16_t *inputs
    cdef int16_t *outputs
    cdef int32_t *acc_all
    cdef int32_t *acc_whisper
    cdef PyThread_type_lock lock
    cdef list sinks         # per tap slot: the Recorder whose ring the tick appends to (kept alive here)

    cdef int _check_conn(self, int conn) except -1
    cdef int16_t *input_slot(self, int conn) noexcept nogil
    cdef const int16_t *output_slot(self, int conn) noexcept nogil
    cdef void mark_input(self, int conn) noexcept nogil
    cdef void mix(self, bint keep_inputs) noexcept nogil
