"""The voice modems' sample formats to and from the media hub's 16-bit linear PCM (8 kHz)."""

from __future__ import annotations

import numpy as np

from cython_ext.g711 import decode_alaw, decode_ulaw, encode_alaw, encode_ulaw


def decode(codec: str, data: bytes) -> bytes:
    """Codes from the modem -> signed 16-bit little-endian PCM (an odd byte of slin16 is the caller's
    to keep: see `Decoder`)."""
    if codec == "ulaw":
        return decode_ulaw(data)
    if codec == "alaw":
        return decode_alaw(data)
    if codec == "slin16":
        return data
    samples = np.frombuffer(data, dtype=np.uint8).astype(np.int16)
    if codec == "ulin8":
        return ((samples - 128) << 8).astype("<i2").tobytes()
    return (samples.astype(np.int8).astype(np.int16) << 8).astype("<i2").tobytes()   # slin8


def encode(codec: str, pcm: bytes) -> bytes:
    if codec == "ulaw":
        return encode_ulaw(pcm)
    if codec == "alaw":
        return encode_alaw(pcm)
    if codec == "slin16":
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2") >> 8
    if codec == "ulin8":
        return (samples + 128).astype(np.uint8).tobytes()
    return samples.astype(np.int8).tobytes()


def bytes_per_sample(codec: str) -> int:
    return 2 if codec == "slin16" else 1


class Decoder:
    """Decodes a stream that may split a 16-bit sample between two chunks."""

    def __init__(self, codec: str):
        self.codec = codec
        self._odd = b""

    def __call__(self, data: bytes) -> bytes:
        if self.codec == "slin16":
            data = self._odd + data
            cut = len(data) - len(data) % 2
            data, self._odd = data[:cut], data[cut:]
        return decode(self.codec, data)
