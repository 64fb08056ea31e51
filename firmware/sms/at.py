"""What a modem says, read as 3GPP TS 27.007/27.005 lay it out (V.250 framing): bytes to lines,
the "> " prompt of AT+CMGS, final result codes, information and unsolicited result lines with their
arguments, and the result lines followed by a second line (a PDU or a text).

Pure code: bytes in, items out. A line too long to be an answer is dropped up to its end, a
second line that never comes is given up when another result arrives, and nothing here raises on
what a modem sends (tests/unit/test_sms_fuzz.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_LINE = 1024        # the longest answer: +CMGR with a 176-octet PDU is 352 hex digits
# Results whose second line carries the message: a PDU (PDU mode) or the text (text mode).
WITH_BODY = ("+CMT", "+CMGR", "+CMGL", "+CDS")
FINAL_ERRORS = ("ERROR", "NO CARRIER", "NO DIALTONE", "BUSY", "NO ANSWER", "COMMAND NOT SUPPORT")


@dataclass(frozen=True)
class Prompt:
    """AT+CMGS's "> ": the modem waits for the message."""


@dataclass(frozen=True)
class Final:
    ok: bool
    text: str
    code: int | None = None          # of +CMS ERROR / +CME ERROR


@dataclass(frozen=True)
class Result:
    """An information or unsolicited result: `+NAME: args`, or a bare word (RING)."""
    name: str
    args: tuple[str, ...] = ()
    body: str | None = None
    line: str = field(default="", compare=False)


class LineReader:
    """Bytes to lines (CR or LF ends one) and prompts. Bytes are kept 1:1 (latin-1): a text-mode
    message arrives in the GSM alphabet's codes, not UTF-8."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.discarding = False
        self.dropped = 0

    def feed(self, data: bytes) -> list[str | Prompt]:
        self.buffer += data
        out: list[str | Prompt] = []
        while True:
            ends = [i for i in (self.buffer.find(b"\r"), self.buffer.find(b"\n")) if i >= 0]
            if not ends:
                break
            end = min(ends)
            line, self.buffer = bytes(self.buffer[:end]), self.buffer[end + 1:]
            if self.discarding:
                self.discarding = False
                continue
            text = line.decode("latin-1").strip()
            if text == ">" or text.startswith("> "):
                # the prompt with a line end or other output run into it: the prompt, then the rest
                out.append(Prompt())
                text = text[1:].strip()
            if text:
                out.append(text)
        if self.buffer.lstrip().startswith(b">"):
            out.append(Prompt())
            self.buffer.clear()
        elif len(self.buffer) > MAX_LINE:
            self.buffer.clear()
            self.discarding = True
            self.dropped += 1
            log.warning("modem line longer than %d bytes dropped", MAX_LINE)
        return out


def split_arguments(text: str) -> tuple[str, ...]:
    """`"SM",3` -> ("SM", "3"): comma-separated, a quoted string may hold commas; quotes removed.
    An unterminated quote takes the rest of the line."""
    args, current, quoted, was_quoted = [], [], False, False
    for char in text:
        if char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            args.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        else:
            current.append(char)
    args.append("".join(current) if was_quoted else "".join(current).strip())
    return tuple(args)


def final_result(line: str) -> Final | None:
    if line == "OK":
        return Final(True, line)
    for prefix in ("+CMS ERROR:", "+CME ERROR:"):
        if line.startswith(prefix):
            value = line[len(prefix):].strip()
            return Final(False, line, int(value) if value.isdigit() and len(value) < 6 else None)
    if line in FINAL_ERRORS:
        return Final(False, line)
    return None


def _is_hex(line: str) -> bool:
    return bool(line) and len(line) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in line)


def pdu_form(result: Result) -> bool:
    """Whether a result with a second line is in PDU mode's form (its last argument the length)
    rather than text mode's (+CMT: <oa>,<alpha>,<scts>; +CMGR: "REC READ",...)."""
    args = result.args
    if result.name == "+CMGR":
        return bool(args) and args[0].isdigit()
    if result.name == "+CMGL":
        return len(args) >= 2 and args[1].isdigit()
    return len(args) <= 2 and bool(args) and args[-1].isdigit()


def _needs_body(name: str, args: tuple[str, ...]) -> bool:
    if name not in WITH_BODY:
        return False
    if name == "+CDS":              # PDU mode: +CDS: <length>; text mode gives the report on one line
        return len(args) == 1
    return True


class Assembler:
    """Lines to items: Final, Prompt or Result (with its second line joined to it). Echoed
    commands (a modem before ATE0) are skipped."""

    def __init__(self) -> None:
        self.pending: Result | None = None
        self.given_up = 0

    def push(self, item: str | Prompt) -> list[Final | Prompt | Result]:
        out: list[Final | Prompt | Result] = []
        if isinstance(item, Prompt):
            self._give_up(out)
            return out + [item]
        line = item
        if self.pending is not None:
            pending, self.pending = self.pending, None
            if _is_hex(line) or (not pdu_form(pending) and final_result(line) is None):
                return [Result(pending.name, pending.args, line, pending.line)]
            # not its second line: the header is given up and the line read on its own
            self.given_up += 1
            log.warning("modem result %r without its second line", pending.line[:80])
        if line[:2].upper() == "AT":
            return out
        final = final_result(line)
        if final is not None:
            return out + [final]
        name, _, rest = line.partition(":")
        name = name.strip()
        args = split_arguments(rest) if rest.strip() else ()
        result = Result(name, args, None, line)
        if _needs_body(name, args):
            self.pending = result
            return out
        return out + [result]

    def _give_up(self, out: list) -> None:
        if self.pending is not None:
            self.pending = None
            self.given_up += 1
