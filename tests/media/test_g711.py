"""G.711 against tables derived here from the standard's segment rules (ITU-T G.711 Tables 1a/2a).

Input to the standard is 14-bit (µ-law) or 13-bit (A-law) uniform PCM; 16-bit samples are
truncated to it, with negative values folded by one's complement as in the ITU-T G.191 reference.
Code k numbers the quantisation intervals of one sign from zero outward; its decision interval is
[edge[k], edge[k+1]) and its output the interval's midpoint.
"""

from __future__ import annotations

from array import array

import pytest


def edges(first: list[int], segments: list[tuple[int, int]]) -> list[int]:
    out = list(first)
    for step, count in segments:
        for _ in range(count):
            out.append(out[-1] + step)
    return out


# µ-law, 14-bit magnitude: interval 0 is [0,1), then 15 steps of 2, then 16 each of 4, 8, ... 256.
ULAW_EDGES = edges([0, 1], [(2, 15)] + [(2 << s, 16) for s in range(1, 8)])
# A-law, 12-bit magnitude: 32 steps of 1 (segments 1 and 2), then 16 each of 2, 4, ... 64.
ALAW_EDGES = edges([0], [(1, 32)] + [(1 << s, 16) for s in range(1, 7)])
assert len(ULAW_EDGES) == 129 and ULAW_EDGES[-1] == 8159
assert len(ALAW_EDGES) == 129 and ALAW_EDGES[-1] == 2048


def interval(edge_list: list[int], magnitude: int) -> int:
    k = 0
    while k < 127 and magnitude >= edge_list[k + 1]:
        k += 1
    return k


def expected_ulaw(x: int) -> int:
    magnitude = (x >> 2) if x >= 0 else ((-x - 1) >> 2)
    k = interval(ULAW_EDGES, magnitude)
    # Codes are transmitted inverted: positive 0xFF (smallest) .. 0x80, negative 0x7F .. 0x00.
    return (0xFF - k) if x >= 0 else (0x7F - k)


def expected_ulaw_value(code: int) -> int:
    k = 0x7F - (code & 0x7F)
    value = 0 if k == 0 else 2 * (ULAW_EDGES[k] + ULAW_EDGES[k + 1])  # midpoint, in 16-bit units
    return value if code & 0x80 else -value


def expected_alaw(x: int) -> int:
    magnitude = (x >> 4) if x >= 0 else ((-x - 1) >> 4)
    k = interval(ALAW_EDGES, magnitude)
    return (k | 0x80 if x >= 0 else k) ^ 0x55  # even bits inverted


def expected_alaw_value(code: int) -> int:
    k = (code ^ 0x55) & 0x7F
    value = 8 * (ALAW_EDGES[k] + ALAW_EDGES[k + 1])
    return value if code & 0x80 else -value


ALL_PCM = array("h", range(-32768, 32768)).tobytes()


@pytest.fixture(scope="module")
def ulaw_table() -> bytes:
    return bytes(expected_ulaw(x) for x in range(-32768, 32768))


@pytest.fixture(scope="module")
def alaw_table() -> bytes:
    return bytes(expected_alaw(x) for x in range(-32768, 32768))


def test_ulaw_encode_all_65536_inputs(g711, ulaw_table):
    got = g711.encode_ulaw(ALL_PCM)
    bad = [x for x, a, b in zip(range(-32768, 32768), got, ulaw_table) if a != b]
    assert not bad, f"{len(bad)} inputs differ, first {bad[:5]}"


def test_alaw_encode_all_65536_inputs(g711, alaw_table):
    got = g711.encode_alaw(ALL_PCM)
    bad = [x for x, a, b in zip(range(-32768, 32768), got, alaw_table) if a != b]
    assert not bad, f"{len(bad)} inputs differ, first {bad[:5]}"


def test_decode_all_256_codes(g711):
    ulaw = array("h")
    ulaw.frombytes(g711.decode_ulaw(bytes(range(256))))
    alaw = array("h")
    alaw.frombytes(g711.decode_alaw(bytes(range(256))))
    assert list(ulaw) == [expected_ulaw_value(c) for c in range(256)]
    assert list(alaw) == [expected_alaw_value(c) for c in range(256)]


def test_golden_payloads(g711):
    silence = bytes(320)
    assert g711.encode_ulaw(silence) == b"\xff" * 160
    assert g711.encode_alaw(silence) == b"\xd5" * 160
    assert g711.decode_ulaw(b"\xff\x7f\x80\x00") == array("h", [0, 0, 32124, -32124]).tobytes()
    assert g711.decode_alaw(b"\xd5\x55\xaa\x2a") == array("h", [8, -8, 32256, -32256]).tobytes()


def test_decode_then_encode_is_identity(g711):
    codes = bytes(range(256))
    assert g711.encode_ulaw(g711.decode_ulaw(codes)) == codes.replace(b"\x7f", b"\xff")  # -0 becomes +0
    assert g711.encode_alaw(g711.decode_alaw(codes)) == codes


def test_accepts_any_buffer_and_rejects_odd_lengths(g711):
    pcm = array("h", [1000, -1000, 0])
    assert g711.encode_ulaw(memoryview(pcm.tobytes())) == g711.encode_ulaw(bytearray(pcm.tobytes()))
    assert g711.encode_ulaw(b"") == b"" and g711.decode_alaw(b"") == b""
    with pytest.raises(ValueError, match="even number of bytes"):
        g711.encode_ulaw(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="even number of bytes"):
        g711.encode_alaw(b"\x00")


def test_differs_from_audioop_where_the_architecture_says(g711, ulaw_table):
    """Sanity of the derived table: the famous 508 µ-law codes where audioop departs from G.711."""
    audioop = pytest.importorskip("audioop")
    theirs = audioop.lin2ulaw(ALL_PCM, 2)
    assert sum(a != b for a, b in zip(theirs, ulaw_table)) == 508
