"""Repairing a WAV file whose writer died before updating its header (a killed engine, a power cut).

pjmedia's WAV writer fills in the RIFF and data sizes only when it closes the file, so a recording cut
short has a header that claims zero (or too few) bytes. The audio itself is on disk up to the last
flush: setting the sizes from the file length makes it play again.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


class WavError(ValueError):
    pass


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_rate: int
    bits_per_sample: int
    data_offset: int
    data_bytes: int

    @property
    def duration_seconds(self) -> float:
        frame = self.channels * self.bits_per_sample // 8
        return self.data_bytes / frame / self.sample_rate if frame and self.sample_rate else 0.0


def read_info(path: Path, trust_header: bool = True) -> WavInfo:
    """Walks the RIFF chunks up to `data`; with trust_header=False the data size comes from the file length."""
    size = path.stat().st_size
    with path.open("rb") as f:
        riff = f.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            raise WavError(f"{path.name}: not a RIFF/WAVE file")
        fmt = None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise WavError(f"{path.name}: no data chunk")
            chunk_id, chunk_size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                body = f.read(chunk_size)
                if len(body) < 16:
                    raise WavError(f"{path.name}: truncated fmt chunk")
                _tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
                fmt = (channels, rate, bits)
            elif chunk_id == b"data":
                if fmt is None:
                    raise WavError(f"{path.name}: data chunk before fmt chunk")
                offset = f.tell()
                frame = max(1, fmt[0] * fmt[2] // 8)
                on_disk = (size - offset) // frame * frame
                data_bytes = min(chunk_size, on_disk) if trust_header else on_disk
                return WavInfo(fmt[0], fmt[1], fmt[2], offset, data_bytes)
            else:
                f.seek(chunk_size + (chunk_size & 1), 1)


def repair(path: Path) -> WavInfo:
    """Rewrites the RIFF and data sizes to match what is on disk; returns the repaired description."""
    info = read_info(path, trust_header=False)
    with path.open("r+b") as f:
        f.truncate(info.data_offset + info.data_bytes)
        f.seek(4)
        f.write(struct.pack("<I", info.data_offset + info.data_bytes - 8))
        f.seek(info.data_offset - 4)
        f.write(struct.pack("<I", info.data_bytes))
    return info
