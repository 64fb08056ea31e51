"""One RFC 4475 test message, written as the RFC prints it, and what the box must do with it.

The RFC's notation (its section 2), decoded by `decode`:
- every line ends in CRLF (the text's own line ends stand for it);
- `<allOneLine>` ... `</allOneLine>`: the lines between are one line, joined without anything
  between them (the RFC keeps its lines under 72 characters);
- `<hex>` ... `</hex>`: the octets spelled in hexadecimal (non-printable octets, UTF-8, and here
  also blanks at a line's end, which a source file would not keep visibly);
- `<repeat count=N>` ... `</repeat>`: the string N times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

REJECT_CODES = frozenset(range(400, 500))


class Expect(Enum):
    ANSWER = "well formed: the box processes it and sends a final reply (any code)"
    REJECT = "malformed: the box refuses it with a 4xx (or the code the RFC names)"
    MAY_DROP = "the box may send a 4xx or nothing at all (e.g. a framing error on a stream)"
    IGNORE = "a response that answers nothing the box sent: absorbed, never answered nor forwarded"


@dataclass(frozen=True)
class Vector:
    section: str                  # "3.1.2.7"
    title: str                    # the RFC's heading
    name: str                     # the RFC's file name for it ("ltgtruri")
    expect: Expect
    rfc_says: str                 # what the RFC says a conformant element does
    sha256: str                   # of the message file in the RFC's appendix A archive
    tcp: Expect | None = None     # another expectation over a stream transport
    codes: frozenset[int] = REJECT_CODES   # the codes a REJECT may use
    text: str = field(default="", repr=False)

    @property
    def message(self) -> bytes:
        return decode(self.text)

    @property
    def is_response(self) -> bool:
        return self.message.startswith(b"SIP/")

    def expectation(self, transport: str) -> Expect:
        return self.tcp if transport == "TCP" and self.tcp else self.expect

    def __str__(self) -> str:
        return f"{self.section}-{self.name}"


_ALL_ONE_LINE = re.compile(r"<allOneLine>\n(.*?)\n</allOneLine>", re.S)
_REPEAT = re.compile(r"<repeat count=(\d+)>(.*?)</repeat>", re.S)
_HEX = re.compile(rb"<hex>([0-9A-Fa-f]*)</hex>")


def decode(text: str) -> bytes:
    """The octets of a message written in the RFC's notation (the text starts with a line end)."""
    if not text.startswith("\n") or not text.endswith("\n"):
        raise ValueError("a message text starts and ends with a line end")
    text = _ALL_ONE_LINE.sub(lambda m: m.group(1).replace("\n", ""), text[1:])
    text = _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), text)
    return _HEX.sub(lambda m: bytes.fromhex(m.group(1).decode()), text.replace("\n", "\r\n").encode("ascii"))
