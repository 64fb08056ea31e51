"""G.711 µ-law and A-law, bit-exact with ITU-T G.711 (the G.191 reference code's segment arithmetic).

Encoding is a lookup in a 64 K table per law, filled at import from the segment rules; decoding a
lookup in a 256-entry table. Negative inputs are folded with the one's complement (~x), as G.191
does, which is where audioop and others part ways with the standard.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport int16_t, int32_t, uint8_t, uint16_t

cdef uint8_t _ULAW_ENC[65536]
cdef uint8_t _ALAW_ENC[65536]
cdef int16_t _ULAW_DEC[256]
cdef int16_t _ALAW_DEC[256]


cdef uint8_t _ulaw_compress(int32_t x) noexcept nogil:
    # 14-bit magnitude plus the bias of 33; the segment is the position of the top bit.
    cdef int32_t absno = ((~x) >> 2) + 33 if x < 0 else (x >> 2) + 33
    cdef int32_t i, segno = 1
    if absno > 0x1FFF:
        absno = 0x1FFF
    i = absno >> 6
    while i != 0:
        segno += 1
        i >>= 1
    cdef int32_t code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 15))
    if x >= 0:
        code |= 0x80
    return <uint8_t>code


cdef int16_t _ulaw_expand(uint8_t code) noexcept nogil:
    cdef int32_t sign = -1 if code < 0x80 else 1
    cdef int32_t mantissa = ~(<int32_t>code)
    cdef int32_t exponent = (mantissa >> 4) & 7
    cdef int32_t segment = exponent + 1
    mantissa &= 15
    cdef int32_t step = 4 << segment
    return <int16_t>(sign * ((0x80 << exponent) + step * mantissa + step // 2 - 4 * 33))


cdef uint8_t _alaw_compress(int32_t x) noexcept nogil:
    # 12-bit magnitude; segments 0 and 1 share the smallest step.
    cdef int32_t ix = ((~x) >> 4) if x < 0 else (x >> 4)
    cdef int32_t iexp
    if ix > 15:
        iexp = 1
        while ix > 16 + 15:
            ix >>= 1
            iexp += 1
        ix -= 16
        ix += iexp << 4
    if x >= 0:
        ix |= 0x80
    return <uint8_t>(ix ^ 0x55)


cdef int16_t _alaw_expand(uint8_t code) noexcept nogil:
    cdef int32_t ix = (code ^ 0x55) & 0x7F
    cdef int32_t iexp = ix >> 4
    cdef int32_t mant = ix & 15
    if iexp > 0:
        mant += 16
    mant = (mant << 4) + 8
    if iexp > 1:
        mant <<= iexp - 1
    return <int16_t>(mant if code > 127 else -mant)


cdef void _fill_tables() noexcept nogil:
    cdef int32_t x
    for x in range(-32768, 32768):
        _ULAW_ENC[<uint16_t>x] = _ulaw_compress(x)
        _ALAW_ENC[<uint16_t>x] = _alaw_compress(x)
    for x in range(256):
        _ULAW_DEC[x] = _ulaw_expand(<uint8_t>x)
        _ALAW_DEC[x] = _alaw_expand(<uint8_t>x)


_fill_tables()


cdef uint8_t linear_to_ulaw(int16_t sample) noexcept nogil:
    return _ULAW_ENC[<uint16_t>sample]

cdef int16_t ulaw_to_linear(uint8_t code) noexcept nogil:
    return _ULAW_DEC[code]

cdef uint8_t linear_to_alaw(int16_t sample) noexcept nogil:
    return _ALAW_ENC[<uint16_t>sample]

cdef int16_t alaw_to_linear(uint8_t code) noexcept nogil:
    return _ALAW_DEC[code]


cdef void ulaw_encode(const int16_t *pcm, uint8_t *codes, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        codes[i] = _ULAW_ENC[<uint16_t>pcm[i]]

cdef void ulaw_decode(const uint8_t *codes, int16_t *pcm, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        pcm[i] = _ULAW_DEC[codes[i]]

cdef void alaw_encode(const int16_t *pcm, uint8_t *codes, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        codes[i] = _ALAW_ENC[<uint16_t>pcm[i]]

cdef void alaw_decode(const uint8_t *codes, int16_t *pcm, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        pcm[i] = _ALAW_DEC[codes[i]]


cdef Py_ssize_t _pcm_samples(const unsigned char[::1] pcm) except -1:
    if pcm.shape[0] & 1:
        raise ValueError(f"16-bit PCM needs an even number of bytes, got {pcm.shape[0]}")
    return pcm.shape[0] // 2


def encode_ulaw(const unsigned char[::1] pcm not None) -> bytes:
    """16-bit little-endian PCM to µ-law, one byte per sample."""
    cdef Py_ssize_t n = _pcm_samples(pcm)
    out = PyBytes_FromStringAndSize(NULL, n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    if n:
        with nogil:
            ulaw_encode(<const int16_t *>&pcm[0], dst, n)
    return out


def decode_ulaw(const unsigned char[::1] codes not None) -> bytes:
    """µ-law to 16-bit little-endian PCM."""
    cdef Py_ssize_t n = codes.shape[0]
    out = PyBytes_FromStringAndSize(NULL, 2 * n)
    cdef int16_t *dst = <int16_t *>PyBytes_AS_STRING(out)
    if n:
        with nogil:
            ulaw_decode(&codes[0], dst, n)
    return out


def encode_alaw(const unsigned char[::1] pcm not None) -> bytes:
    """16-bit little-endian PCM to A-law, one byte per sample."""
    cdef Py_ssize_t n = _pcm_samples(pcm)
    out = PyBytes_FromStringAndSize(NULL, n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    if n:
        with nogil:
            alaw_encode(<const int16_t *>&pcm[0], dst, n)
    return out


def decode_alaw(const unsigned char[::1] codes not None) -> bytes:
    """A-law to 16-bit little-endian PCM."""
    cdef Py_ssize_t n = codes.shape[0]
    out = PyBytes_FromStringAndSize(NULL, 2 * n)
    cdef int16_t *dst = <int16_t *>PyBytes_AS_STRING(out)
    if n:
        with nogil:
            alaw_decode(&codes[0], dst, n)
    return out
