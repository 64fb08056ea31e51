# C-level API of the tone generator: the port reads call-progress or DTMF audio straight into a frame.
from libc.stdint cimport int16_t, int64_t

cdef struct Segment:
    int nfreq
    double freq[4]
    double amp[4]
    int64_t samples          # -1: forever

cdef class ToneGenerator:
    cdef readonly int rate
    cdef Segment *segments
    cdef int nsegments
    cdef bint repeat
    cdef int seg
    cdef int64_t pos
    cdef bint done_

    cdef void read_into(self, int16_t *out, Py_ssize_t samples) noexcept nogil
