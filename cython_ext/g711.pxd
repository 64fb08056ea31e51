# C-level API of the G.711 codec (ITU-T G.711, as in the G.191 reference g711.c), for the other kernels
# and the pjmedia port. Samples are 16-bit linear PCM in native (little-endian) order.
from libc.stdint cimport int16_t, uint8_t

cdef uint8_t linear_to_ulaw(int16_t sample) noexcept nogil
cdef int16_t ulaw_to_linear(uint8_t code) noexcept nogil
cdef uint8_t linear_to_alaw(int16_t sample) noexcept nogil
cdef int16_t alaw_to_linear(uint8_t code) noexcept nogil

cdef void ulaw_encode(const int16_t *pcm, uint8_t *codes, Py_ssize_t n) noexcept nogil
cdef void ulaw_decode(const uint8_t *codes, int16_t *pcm, Py_ssize_t n) noexcept nogil
cdef void alaw_encode(const int16_t *pcm, uint8_t *codes, Py_ssize_t n) noexcept nogil
cdef void alaw_decode(const uint8_t *codes, int16_t *pcm, Py_ssize_t n) noexcept nogil
