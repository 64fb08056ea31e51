"""Writing RTP audio as a pcap file, for SIPp's `play_pcap_audio` (it replays the RTP it finds)."""

from __future__ import annotations

import struct
from pathlib import Path

from cython_ext.g711 import encode_alaw

SAMPLES_PER_PACKET = 160   # 20 ms at 8 kHz
PCMA = 8


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write_pcma_pcap(pcm: bytes, path: Path, src_port: int = 49170, dst_port: int = 10000) -> Path:
    """16-bit PCM at 8 kHz, encoded A-law, one RTP packet per 20 ms, in an Ethernet pcap."""
    payload = encode_alaw(pcm)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for n, offset in enumerate(range(0, len(payload), SAMPLES_PER_PACKET)):
        chunk = payload[offset:offset + SAMPLES_PER_PACKET]
        rtp = struct.pack("!BBHII", 0x80, PCMA, n & 0xFFFF, n * SAMPLES_PER_PACKET, 0x1234ABCD) + chunk
        udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(rtp), 0) + rtp
        ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                                bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        ip_header = ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:]
        frame = b"\x00" * 12 + b"\x08\x00" + ip_header + udp
        usec = n * 20_000
        out += struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))
    return path
