"""The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 6.2.1), and septet
packing (6.1.2.1.1): text to septet codes and back, packed into octets with an optional number
of fill bits in front (what a User Data Header leaves, TS 23.040 9.2.3.24)."""

from __future__ import annotations

ESCAPE = 0x1B

# Index = septet code. 0x1B is the escape to the extension table.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(DEFAULT_ALPHABET) == 128

# The extension table's characters (after ESC), 23.038 6.2.1.1.
EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
             0x40: "|", 0x65: "€"}

_ENCODE = {char: code for code, char in enumerate(DEFAULT_ALPHABET) if code != ESCAPE}
_ENCODE_EXTENSION = {char: code for code, char in EXTENSION.items()}


def can_encode(text: str) -> bool:
    return all(char in _ENCODE or char in _ENCODE_EXTENSION for char in text)


def septet_length(char: str) -> int:
    """Septets one character takes: 2 for the extension table's (ESC + code)."""
    return 2 if char in _ENCODE_EXTENSION else 1


def encode(text: str) -> list[int]:
    """Text to septet codes; ValueError names the first character the alphabet lacks."""
    septets: list[int] = []
    for char in text:
        if char in _ENCODE:
            septets.append(_ENCODE[char])
        elif char in _ENCODE_EXTENSION:
            septets += [ESCAPE, _ENCODE_EXTENSION[char]]
        else:
            raise ValueError(f"character {char!r} is not in the GSM 7-bit alphabet")
    return septets


def decode(septets: list[int] | bytes) -> str:
    """Septet codes to text. An escape before a code the extension table lacks reads as that code
    of the default table (23.038 6.2.1.1: "display the default character"); a trailing escape is
    dropped."""
    chars = []
    escaped = False
    for code in septets:
        code &= 0x7F
        if escaped:
            chars.append(EXTENSION.get(code, DEFAULT_ALPHABET[code] if code != ESCAPE else " "))
            escaped = False
        elif code == ESCAPE:
            escaped = True
        else:
            chars.append(DEFAULT_ALPHABET[code])
    return "".join(chars)


def pack(septets: list[int], fill_bits: int = 0) -> bytes:
    """Septets packed least significant bit first, after `fill_bits` zero bits."""
    accumulator = 0
    for index, code in enumerate(septets):
        accumulator |= (code & 0x7F) << (fill_bits + 7 * index)
    total_bits = fill_bits + 7 * len(septets)
    return accumulator.to_bytes((total_bits + 7) // 8, "little")


def unpack(octets: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """`count` septets out of `octets`, starting after `fill_bits` bits; ValueError if too short."""
    if fill_bits + 7 * count > 8 * len(octets):
        raise ValueError(f"user data has {len(octets)} octets, too few for {count} septets")
    accumulator = int.from_bytes(octets, "little") >> fill_bits
    return [(accumulator >> (7 * index)) & 0x7F for index in range(count)]
