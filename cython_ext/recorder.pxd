# C-level API of the stereo recorder: the tick appends interleaved frames to a recorder's ring
# (memcpy, no I/O, no GIL); a writer thread drains rings to disk.
from libc.stdint cimport int16_t, int64_t

cdef struct Ring:
    char *data
    size_t size             # bytes, a power of two
    size_t head             # total bytes produced (written by the tick only)
    size_t tail             # total bytes consumed (written by the drain only)
    size_t dropped          # bytes the tick could not store because the drain fell behind

cdef size_t ring_write(Ring *ring, const void *src, size_t n) noexcept nogil

cdef class Recorder:
    cdef Ring ring
    cdef readonly int rate
    cdef readonly int channels
    cdef readonly object path
    cdef int fd
    cdef int64_t data_bytes         # audio bytes on disk
    cdef int64_t header_bytes       # audio bytes the header claims
    cdef double last_sync
    cdef readonly double sync_interval
    cdef char *scratch
    cdef bint closed

    cdef ssize_t _write_all(self, const char *data, size_t n) noexcept nogil
    cdef int _sync(self) except -1
