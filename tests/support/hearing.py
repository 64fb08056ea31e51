"""Who hears whom on a call or in a conference, judged from the RTP the engine sends, frame by frame.

Correlating half-second windows of what a phone heard with one stretch of a recording breaks on a
loaded machine: the engine's jitter buffers stretch and shrink the audio (a frame made up when a
packet came late, one dropped when packets bunch up), every second or so under two CPU burners, and
a window across such a step matches no single stretch (0.5-0.87 where 0.95 was asked) although
nobody heard the wrong party. What holds whatever the load:

- a phone that hears exactly one other party receives that party's A-law frames byte for byte (the
  engine decodes, mixes a single source and encodes again, which gives back the same codes); a
  second voice mixed in, even a silent phone's noise floor, leaves no frame exact, and otherwise
  only the frames a jitter buffer made up are not exact (`exactly_said`);
- the engine sends every leg its frame of a tick within a fraction of a millisecond, so the frames
  of one tick can be set side by side (`by_tick`) and the mix checked as arithmetic on them;
- a voice recovered from such arithmetic is judged in short pieces, so that a jitter buffer's step
  spoils one piece and not a whole window (`pieces_of`).
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter

import numpy as np

from tests.support.audio import decode_alaw
from tests.support.pcap import encode_alaw
from tests.support.rtp import RtpPacket

PCMA = 8
SOUND_RMS = 300          # a frame with sound in it (the prompts' pauses stay far below)
PIECE = 800              # 100 ms: a jitter buffer's step spoils one piece, not a whole window


def alaw(samples: list[int]) -> bytes:
    """What a SIPp phone playing `samples` (tests.support.pcap.write_pcma_pcap) sends."""
    return encode_alaw(array("h", samples).tobytes())


def rms(samples) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(samples, dtype=np.float64))))) if len(samples) else 0.0


def frames_to(cap, port: int, window: tuple[float, float]) -> list[RtpPacket]:
    """The A-law frames sent to `port` within the window of wall-clock time, in order."""
    return sorted((p for p in cap.to_port(port) if window[0] <= p.time < window[1] and p.payload_type == PCMA),
                  key=lambda p: p.time)


def exactly_said(frames: list[RtpPacket], said: bytes) -> tuple[int, int]:
    """(frames with sound that are byte for byte a stretch of `said`, frames with sound)."""
    loud = [f for f in frames if rms(decode_alaw(f.payload)) > SOUND_RMS]
    return sum(f.payload in said for f in loud), len(loud)


def by_tick(streams: list[list[RtpPacket]]) -> list[tuple[RtpPacket, ...]]:
    """The frames of several legs sent on the same ticks, side by side. Each leg gets one frame a
    tick, so their sequence numbers keep a fixed distance: the one most pairs of frames nearest in
    time agree on (after a late clock the engine sends a few ticks at once, and neighbours pair)."""
    first, offsets = streams[0], []
    for other in streams[1:]:
        times = [p.time for p in other]
        votes: Counter = Counter()
        for p in first:
            i = bisect.bisect_left(times, p.time)
            near = [q for q in other[max(i - 1, 0):i + 1]]
            if near:
                nearest = min(near, key=lambda q: abs(q.time - p.time))
                votes[(nearest.sequence - p.sequence) % 65536] += 1
        offsets.append(votes.most_common(1)[0][0] if votes else 0)
    indexes = [{p.sequence: p for p in other} for other in streams[1:]]
    rows = []
    for p in first:
        others = [index.get((p.sequence + offset) % 65536) for index, offset in zip(indexes, offsets)]
        if all(q is not None for q in others):
            rows.append((p, *others))
    return rows


def decoded(tick: tuple[RtpPacket, ...]) -> list[np.ndarray]:
    return [np.asarray(decode_alaw(f.payload), dtype=np.float64) for f in tick]


def best_fit(piece: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(the best normalised correlation of `piece` with any stretch of `reference`, the piece's level
    against that stretch's)."""
    n = len(piece)
    dots = np.correlate(reference, piece, mode="valid")
    energy = np.concatenate(([0.0], np.cumsum(reference * reference)))
    stretch = np.sqrt(np.maximum(energy[n:] - energy[:-n], 0.0))
    norms = stretch * np.sqrt(np.dot(piece, piece))
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(norms > 0, dots / norms, 0.0)
    at = int(scores.argmax())
    return float(scores[at]), float(np.sqrt(np.dot(piece, piece)) / stretch[at]) if stretch[at] else 0.0


def pieces_of(samples, reference: list[int], *, level: bool = False) -> tuple[int, int]:
    """(pieces with sound that are a stretch of `reference`, pieces with sound): correlation above
    0.9 and, with `level`, at the reference's own level (within 20 %: a voice heard at half its level
    is a voice mixed twice, or half of it cancelled)."""
    samples = np.asarray(samples, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    good = loud = 0
    for at in range(0, len(samples) - PIECE + 1, PIECE):
        piece = samples[at:at + PIECE]
        if rms(piece) <= SOUND_RMS:
            continue
        loud += 1
        score, ratio = best_fit(piece, ref)
        good += score > 0.9 and (not level or 0.8 < ratio < 1.25)
    return good, loud
