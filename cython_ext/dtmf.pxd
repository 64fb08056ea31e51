# C-level API of the DTMF detector: the port feeds decoded frames; keys come back as a short string.
from libc.stdint cimport int16_t

cdef class DtmfDetector:
    cdef readonly int rate
    cdef readonly int hop
    cdef double w[8]
    cdef double coef[8]
    cdef double min_power, twist_lo, twist_hi, steady
    cdef int16_t *pending
    cdef int npending
    cdef bint have_prev
    cdef double prev_re[8]
    cdef double prev_im[8]
    cdef double prev_energy
    cdef char key, reported
    cdef int run, invalid
    cdef readonly str digits

    cdef char _classify(self, double *cur_re, double *cur_im, double ec) noexcept nogil
    cdef int feed_samples(self, const int16_t *pcm, Py_ssize_t n, char *found, int found_size) noexcept nogil
