"""Writing RTP as pcap files for SIPp's `play_pcap_audio` (it replays the RTP it finds as it is):
audio, and RFC 4733 key presses.

SIPp's own DTMF pcaps cannot press the same key twice: a replay repeats the RTP timestamp and
sequence numbers, and the receiver takes it for the same event. `write_key_pcaps` numbers the
presses of one call on.
"""

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


def _frame(rtp: bytes, n: int, src_port: int, dst_port: int) -> bytes:
    """An Ethernet frame carrying `rtp` in UDP over IPv4 from and to 127.0.0.1."""
    udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(rtp), 0) + rtp
    ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip_header = ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:]
    return b"\x00" * 12 + b"\x08\x00" + ip_header + udp


def _pcap(packets: list[tuple[int, bytes]]) -> bytes:
    """(microseconds from the start, frame) -> a pcap file."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for usec, frame in packets:
        out += struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)) + frame
    return bytes(out)


def write_pcma_pcap(pcm: bytes, path: Path, src_port: int = 49170, dst_port: int = 10000) -> Path:
    """16-bit PCM at 8 kHz, encoded A-law, one RTP packet per 20 ms, in an Ethernet pcap."""
    payload = encode_alaw(pcm)
    packets = []
    for n, offset in enumerate(range(0, len(payload), SAMPLES_PER_PACKET)):
        chunk = payload[offset:offset + SAMPLES_PER_PACKET]
        rtp = struct.pack("!BBHII", 0x80, PCMA, n & 0xFFFF, n * SAMPLES_PER_PACKET, 0x1234ABCD) + chunk
        packets.append((n * 20_000, _frame(rtp, n, src_port, dst_port)))
    path.write_bytes(_pcap(packets))
    return path


TELEPHONE_EVENT = 101            # the payload type the test scenarios offer for RFC 4733
EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


def write_key_pcaps(keys: str, folder: Path, src_port: int = 49170, dst_port: int = 10000) -> list[Path]:
    """One pcap per key press: an RFC 4733 event of 100 ms (five updates, then the end three
    times), each press with its own timestamp and sequence numbers, one second apart."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, seq = [], 1000
    for press, key in enumerate(keys):
        timestamp, packets = 8000 * (press + 1), []
        updates = [(160 * (i + 1), False) for i in range(5)] + [(800, True)] * 3
        for i, (duration, end) in enumerate(updates):
            payload = struct.pack("!BBH", EVENTS[key], (0x80 if end else 0) | 10, duration)
            marker = 0x80 if i == 0 else 0
            rtp = struct.pack("!BBHII", 0x80, marker | TELEPHONE_EVENT, seq & 0xFFFF, timestamp, 0x1234ABCD) + payload
            packets.append((i * 20_000, _frame(rtp, seq, src_port, dst_port)))
            seq += 1
        path = folder / f"key-{press}-{'hash' if key == '#' else 'star' if key == '*' else key}.pcap"
        path.write_bytes(_pcap(packets))
        paths.append(path)
    return paths
