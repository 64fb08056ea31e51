"""G.711 µ-law and A-law in plain Python, transcribed from the ITU-T G.191 reference (g711.c)."""

from __future__ import annotations

from array import array


def _samples(pcm: bytes) -> array:
    data = bytes(pcm)
    if len(data) % 2:
        raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(data)}")
    samples = array("h")
    samples.frombytes(data)
    return samples


def ulaw_compress(x: int) -> int:
    absno = ((~x) >> 2) + 33 if x < 0 else (x >> 2) + 33
    absno = min(absno, 0x1FFF)
    i, segno = absno >> 6, 1
    while i:
        segno += 1
        i >>= 1
    code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 15))
    return code | 0x80 if x >= 0 else code


def ulaw_expand(code: int) -> int:
    sign = -1 if code < 0x80 else 1
    mantissa = ~code
    exponent = (mantissa >> 4) & 7
    step = 4 << (exponent + 1)
    return sign * ((0x80 << exponent) + step * (mantissa & 15) + step // 2 - 4 * 33)


def alaw_compress(x: int) -> int:
    ix = (~x) >> 4 if x < 0 else x >> 4
    if ix > 15:
        iexp = 1
        while ix > 16 + 15:
            ix >>= 1
            iexp += 1
        ix = ix - 16 + (iexp << 4)
    if x >= 0:
        ix |= 0x80
    return ix ^ 0x55


def alaw_expand(code: int) -> int:
    ix = (code ^ 0x55) & 0x7F
    iexp, mant = ix >> 4, ix & 15
    if iexp > 0:
        mant += 16
    mant = (mant << 4) + 8
    if iexp > 1:
        mant <<= iexp - 1
    return mant if code > 127 else -mant


def encode_ulaw(pcm: bytes) -> bytes:
    return bytes(ulaw_compress(x) for x in _samples(pcm))


def decode_ulaw(codes: bytes) -> bytes:
    return array("h", (ulaw_expand(c) for c in bytes(codes))).tobytes()


def encode_alaw(pcm: bytes) -> bytes:
    return bytes(alaw_compress(x) for x in _samples(pcm))


def decode_alaw(codes: bytes) -> bytes:
    return array("h", (alaw_expand(c) for c in bytes(codes))).tobytes()
