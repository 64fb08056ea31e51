"""Counting RTP on loopback with a real capture (tcpdump), to prove media flows where the tests say.

    with capture(ports=[5004, 6004], workdir=tmp_path) as cap:
        ...                                 # make calls
    flows = cap.flows()                     # {(src_port, dst_port): [RtpPacket, ...]}
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator

PCAP_MAGIC_USEC = 0xA1B2C3D4
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW = 0, 1, 113, 101
ALAW_SILENCE = {0xD5, 0x55}
ULAW_SILENCE = {0xFF, 0x7F}


@dataclass(frozen=True)
class RtpPacket:
    time: float
    src_port: int
    dst_port: int
    payload_type: int
    sequence: int
    payload: bytes

    @property
    def silent(self) -> bool:
        silence = ALAW_SILENCE if self.payload_type == 8 else ULAW_SILENCE
        return all(b in silence for b in self.payload)


def _ip_payload(linktype: int, frame: bytes) -> bytes | None:
    if linktype == LINKTYPE_ETHERNET:
        return frame[14:] if frame[12:14] == b"\x08\x00" else None
    if linktype == LINKTYPE_LINUX_SLL:
        return frame[16:] if frame[14:16] == b"\x08\x00" else None
    if linktype == LINKTYPE_NULL:
        return frame[4:]
    if linktype == LINKTYPE_RAW:
        return frame
    raise ValueError(f"pcap link type {linktype} not supported")


def read_rtp(path: Path) -> list[RtpPacket]:
    """UDP packets that look like RTP version 2, from a classic pcap file."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic != PCAP_MAGIC_USEC:
        raise ValueError(f"{path}: not a little-endian microsecond pcap (magic {magic:#x})")
    linktype = struct.unpack("<I", data[20:24])[0]
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        ip = _ip_payload(linktype, frame)
        if not ip or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        src, dst = struct.unpack("!HH", udp[:4])
        rtp = udp[8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        header_len = 12 + 4 * (rtp[0] & 0x0F)
        packets.append(RtpPacket(sec + usec / 1e6, src, dst, rtp[1] & 0x7F,
                                 struct.unpack("!H", rtp[2:4])[0], rtp[header_len:]))
    return packets


class Capture:
    def __init__(self, path: Path):
        self.path = path

    def packets(self) -> list[RtpPacket]:
        return read_rtp(self.path)

    def flows(self) -> dict[tuple[int, int], list[RtpPacket]]:
        by_flow: dict[tuple[int, int], list[RtpPacket]] = defaultdict(list)
        for packet in self.packets():
            by_flow[(packet.src_port, packet.dst_port)].append(packet)
        return dict(by_flow)

    def to_port(self, port: int) -> list[RtpPacket]:
        return [p for p in self.packets() if p.dst_port == port]

    def from_port(self, port: int) -> list[RtpPacket]:
        return [p for p in self.packets() if p.src_port == port]


@contextmanager
def capture(ports: list[int], workdir: Path) -> Iterator[Capture]:
    """tcpdump on lo for UDP to or from the given ports while the block runs."""
    tcpdump = shutil.which("tcpdump") or "/usr/bin/tcpdump"
    path = workdir / f"rtp-{time.monotonic_ns()}.pcap"
    expression = "udp and (" + " or ".join(f"port {p}" for p in ports) + ")"
    proc = subprocess.Popen([tcpdump, "-i", "lo", "-n", "-U", "-s", "256", "-w", str(path), expression],
                            stderr=subprocess.PIPE, text=True)
    # tcpdump says "listening on lo" once the capture is really running.
    line = proc.stderr.readline()
    if "listening" not in line:
        proc.kill()
        raise RuntimeError(f"tcpdump did not start: {line}{proc.stderr.read()}")
    try:
        yield Capture(path)
    finally:
        time.sleep(0.3)
        proc.terminate()
        proc.wait(5)
