"""Telling which prompt a caller heard: G.711 decoding and correlation against the prompt files."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path


def alaw_to_linear(code: int) -> int:
    """ITU-T G.711 A-law expansion of one code to a 16-bit sample."""
    code ^= 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if code & 0x80 else -magnitude


_ALAW = [alaw_to_linear(c) for c in range(256)]


def decode_alaw(payload: bytes) -> list[int]:
    return [_ALAW[b] for b in payload]


def read_wav(path: Path) -> list[int]:
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return list(array("h", w.readframes(w.getnframes())))


def _correlation(a: list[int], b: list[int]) -> float:
    n = min(len(a), len(b))
    if n == 0:
        return 0.0
    dot = sum(x * y for x, y in zip(a[:n], b[:n]))
    energy = math.sqrt(sum(x * x for x in a[:n]) * sum(y * y for y in b[:n]))
    return dot / energy if energy else 0.0


def best_correlation(heard: list[int], prompt: list[int], frame: int = 160, max_lag_frames: int = 150,
                     window: int = 8000) -> float:
    """The highest normalised correlation of the prompt's first `window` samples with the audio heard,
    trying every start on a frame boundary (the bridge starts a player at a frame)."""
    reference = prompt[:window]
    best = 0.0
    for lag in range(0, min(max_lag_frames, max(0, (len(heard) - len(reference)) // frame) + 1)):
        best = max(best, _correlation(heard[lag * frame:lag * frame + len(reference)], reference))
    return best


def best_match(recording, reference, window_start: int, window: int = 8000) -> float:
    """The best normalised correlation of `window` samples of `recording` (from window_start) with any
    stretch of `reference`, at every sample offset (numpy)."""
    import numpy as np

    piece = np.asarray(recording[window_start:window_start + window], dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if len(piece) < window or len(ref) < window or not piece.any():
        return 0.0
    dots = np.correlate(ref, piece, mode="valid")
    energy = np.concatenate(([0.0], np.cumsum(ref * ref)))
    norms = np.sqrt(energy[window:] - energy[:-window]) * np.sqrt(np.dot(piece, piece))
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(norms > 0, dots / norms, 0.0)
    return float(scores.max())
