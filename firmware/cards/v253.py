"""ITU-T V.253 (voice modems) as it reaches the box: the byte stream's grammar, no I/O and no time.

What a voice modem sends is one byte stream of two kinds. In command state it is text lines (result
codes, information text, caller ID) ended by CR or LF, with <DLE><code> event reports in between. In
voice data state (after CONNECT to +VRX or +VTR) it is audio, where a data byte 0x10 arrives as
<DLE><DLE> (or <DLE><SUB> for two of them), events arrive as <DLE><code>, and <DLE><ETX> ends the
data and returns the stream to command state. `StreamDecoder` reads it by those rules; the driver
(v253_driver.py) says when voice data starts. Every byte here comes from outside: lines are capped,
unknown codes are reported as such, and nothing raises on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DLE = 0x10
ETX = 0x03
SUB = 0x1A          # <DLE><SUB>: two data bytes 0x10 (V.253 8.1.1, optional compression of the stream)

_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]+")
MAX_LINE = 256      # a longer line is noise: dropped up to its end

# Final result codes (V.250 and V.253): a command is over when one of these arrives.
FINAL_RESULTS = ("OK", "ERROR", "VCON", "CONNECT", "BUSY", "NO CARRIER", "NO DIALTONE", "NO DIAL TONE",
                 "NO ANSWER", "+CME ERROR")

# <DLE> event codes from the modem (V.253 Table 14; vgetty's IS-101 reading for the older letters).
EVENTS = {
    "R": "ring", "b": "busy", "K": "busy", "d": "dial-tone", "i": "dial-tone",
    "s": "silence",             # no voice energy for the +VSD time: the far end presumably hung up
    "q": "quiet", "l": "loop-break", "L": "polarity-reversal", "r": "ringback",
    "h": "handset-on-hook", "p": "handset-on-hook", "H": "handset-off-hook", "P": "handset-off-hook",
    "c": "fax-calling", "m": "fax-calling", "e": "data-calling", "f": "data-calling", "a": "data-answer",
    "J": "sit-tone", "o": "overrun", "u": "underrun", "v": "voice", "V": "voice", "w": "call-waiting",
    "t": "tdd", "$": "bong",
    "/": "dtmf-start", "~": "dtmf-end", "T": "timing-mark", "Q": "xon", "S": "xoff", "Y": "data-lost",
    "E": "bad-format",
}
DTMF_KEYS = "0123456789*#ABCD"
# Events that mean the call is over when they come during a call: the line's loop current broke or
# reversed (the exchange released the line), silence for the detection time, or the exchange's busy
# or dial tone after the far end hung up.
HANG_UP_EVENTS = frozenset({"loop-break", "polarity-reversal", "silence", "busy", "dial-tone"})


@dataclass(frozen=True)
class Line:
    """A text line of command state (a result code, information text, caller ID), stripped."""
    text: str


@dataclass(frozen=True)
class Event:
    """A <DLE><code> report: `name` from EVENTS, `dtmf` with the key, `end-of-data`, or `unknown`."""
    name: str
    key: str = ""


@dataclass(frozen=True)
class Audio:
    """Voice data with the shielding removed (codes of the chosen voice format)."""
    data: bytes


def shield(data: bytes) -> bytes:
    """Voice data for the modem: every data byte 0x10 doubled (V.253 8.1.1)."""
    return data.replace(b"\x10", b"\x10\x10")


def _event(code: int) -> Event:
    char = chr(code)
    if char in DTMF_KEYS:
        return Event("dtmf", char)
    if code == ETX:
        return Event("end-of-data")
    name = EVENTS.get(char)
    return Event(name) if name else Event("unknown", f"0x{code:02x}")


class StreamDecoder:
    """Splits what the modem sends into Lines, Events and Audio. `voice` says whether voice data is
    expected (set by the driver at CONNECT); <DLE><ETX> clears it. Items come from `feed` one at a
    time, so a driver that sets `voice` on a CONNECT line has the rest of the same chunk read as
    audio."""

    def __init__(self) -> None:
        self.voice = False
        self._text = bytearray()
        self._overlong = False
        self._dle = False            # the last chunk ended with a <DLE> whose code is still to come
        self._after_cr = False       # a line ended at CR: an LF right after it belongs to that end
        self.dropped_lines = 0

    def reset(self) -> None:
        self.__init__()

    def feed(self, data: bytes):
        """Yields the items in `data` (with what an earlier chunk left unfinished). The chunk is read
        by position, never re-sliced, so a flood costs time in proportion to its length."""
        buf, pos, end = bytes(data), 0, len(data)
        while pos < end:
            if self._after_cr:
                self._after_cr = False
                if buf[pos] == 0x0A:
                    pos += 1
                    continue
            if self._dle:
                self._dle = False
                code = buf[pos]
                pos += 1
                item = self._dle_item(code)
                if item is not None:
                    yield item
            elif self.voice:
                at = buf.find(b"\x10", pos)
                stop = end if at == -1 else at
                if stop > pos:
                    chunk = buf[pos:stop]
                    pos = stop
                    yield Audio(chunk)
                if at != -1:
                    self._dle, pos = True, at + 1
            else:
                stop = end
                for mark in (b"\r", b"\n", b"\x10"):
                    at = buf.find(mark, pos, stop)
                    if at != -1:
                        stop = at
                self._take_text(buf, pos, stop)
                if stop == end:
                    break
                mark, pos = buf[stop], stop + 1
                if mark == DLE:
                    self._dle = True
                    continue
                self._after_cr = mark == 0x0D
                line = self._end_line()
                if line is not None:
                    yield line

    def _dle_item(self, code: int):
        if self.voice:
            if code == DLE:
                return Audio(b"\x10")
            if code == SUB:
                return Audio(b"\x10\x10")
        event = _event(code)
        if event.name == "end-of-data":
            if not self.voice:                # a late end of data: nothing to end in command state
                return None
            self.voice = False
        return event

    # -- command state: lines ---------------------------------------------------------------------

    def _take_text(self, buf: bytes, start: int, stop: int) -> None:
        if self._overlong or stop <= start:
            return
        if len(self._text) + stop - start > MAX_LINE:
            self._overlong = True
            self._text.clear()
            return
        self._text += buf[start:stop]

    def _end_line(self) -> Line | None:
        overlong, self._overlong = self._overlong, False
        raw, self._text = bytes(self._text), bytearray()
        if overlong:
            self.dropped_lines += 1
            return None
        # other control bytes (XON/XOFF, NUL, noise) and non-ASCII are no part of a result
        text = _NOT_PRINTABLE.sub("", raw.decode("ascii", "replace")).strip()
        return Line(text) if text else None


# -- information text -----------------------------------------------------------------------------

@dataclass(frozen=True)
class VoiceFormat:
    """One entry of the modem's `AT+VSM=?`: its vendor's number, name, bits per sample and rates."""
    cml: int
    name: str
    bits: int
    rates: tuple[int, ...]

    @property
    def codec(self) -> str | None:
        return codec_of(self.name, self.bits)


def _fields(text: str) -> list[str] | None:
    """Comma-separated fields of an information text, where a quoted string or a parenthesised list
    counts as one field (V.250 5.7.2's compound values). None when quotes or parentheses do not close."""
    fields, current, depth, quoted = [], [], 0, False
    for ch in text:
        if quoted:
            current.append(ch)
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            current.append(ch)
        elif ch == "(":
            depth += 1
            current.append(ch)
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
            current.append(ch)
        elif ch == "," and depth == 0:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if quoted or depth:
        return None
    fields.append("".join(current).strip())
    return fields


def _numbers(field: str) -> tuple[int, ...] | None:
    """A value, a list `(a,b,c)` or a range `(a-b)` of whole numbers; a range gives its ends and the
    telephone rate 8000 when it lies between them."""
    inner = field[1:-1] if field.startswith("(") and field.endswith(")") else field
    values: list[int] = []
    for part in inner.split(","):
        part = part.strip()
        if re.fullmatch(r"\d{1,6}", part):
            values.append(int(part))
        elif m := re.fullmatch(r"(\d{1,6})-(\d{1,6})", part):
            low, high = int(m[1]), int(m[2])
            values += [low, high] + ([8000] if low < 8000 < high else [])
        else:
            return None
    return tuple(values)


def parse_vsm_entry(text: str) -> VoiceFormat | None:
    """`<cml>,"<name>",<bps>,<tm>,<vsr>,<sds>,<sel>` (V.253 9.2.2, test command), with or without
    the `+VSM:` prefix some modems put before it. None for anything else."""
    body = text[len("+VSM:"):].strip() if text.upper().startswith("+VSM:") else text
    fields = _fields(body)
    if fields is None or len(fields) < 5:
        return None
    cml, name, bits, rates = fields[0], fields[1], fields[2], fields[4]
    if not re.fullmatch(r"\d{1,3}", cml) or not re.fullmatch(r'"[^"]{1,40}"', name) or \
            not re.fullmatch(r"\d{1,2}", bits):
        return None
    rate_values = _numbers(rates)
    if not rate_values:
        return None
    return VoiceFormat(int(cml), name[1:-1].strip(), int(bits), rate_values)


# The codecs the box can carry, best first: G.711 is what the telephone line is anyway.
CODECS = ("ulaw", "alaw", "slin16", "ulin8", "slin8")
BITS = {"ulaw": 8, "alaw": 8, "slin16": 16, "ulin8": 8, "slin8": 8}


def codec_of(name: str, bits: int) -> str | None:
    """A modem's name for a voice format read as one of CODECS, whatever the vendor's number for it:
    Conexant says "G711U", USR "8-BIT ULAW", Rockwell "ULAW"; "16-BIT LINEAR"; "SIGNED PCM" ..."""
    word = re.sub(r"[^A-Z0-9]", "", name.upper().replace("µ", "U").replace("MU", "U"))
    if word in ("G711U", "G711ULAW", "ULAW", "8BITULAW", "PCMU"):
        codec = "ulaw"
    elif word in ("G711A", "G711ALAW", "ALAW", "8BITALAW", "PCMA"):
        codec = "alaw"
    elif word in ("16BITLINEAR", "LINEAR16", "LIN16", "16BITPCM", "SIGNEDPCM16", "PCM16") or \
            (word in ("SIGNEDPCM", "LINEAR") and bits == 16):
        codec = "slin16"
    elif word in ("8BITLINEAR", "LINEAR8", "LIN8", "UNSIGNEDPCM", "PCM8", "8BITPCM") or \
            (word == "LINEAR" and bits == 8):
        codec = "ulin8"
    elif word == "SIGNEDPCM" and bits == 8:
        codec = "slin8"
    else:
        return None
    return codec if BITS[codec] == bits else None


def choose_format(formats: list[VoiceFormat]) -> VoiceFormat | None:
    """The best format the box can carry at 8000 samples a second, chosen by its name."""
    usable = [f for f in formats if f.codec is not None and 8000 in f.rates]
    if not usable:
        return None
    return min(usable, key=lambda f: CODECS.index(f.codec))


# -- caller ID ------------------------------------------------------------------------------------

_CALLER_ID = re.compile(r"^(NMBR|NAME|DATE|TIME|DDN_NMBR|MESG)\s*=\s*(.*)$|^CALLER (NUMBER|NAME):\s*(.*)$")
ANONYMOUS = {"", "P", "O", "PRIVATE", "UNAVAILABLE", "OUT OF AREA", "ANONYMOUS", "WITHHELD"}


def caller_id_field(text: str) -> tuple[str, str] | None:
    """A caller ID line in any of the three forms modems use: `NMBR = 5551234` (V.253 +VCID=1,
    Conexant), `NMBR=5551234` (USR) and `CALLER NUMBER: 5551234` (Rockwell/ZyXEL style); also the
    name, date and time lines. Returns ("number" | "name" | "date" | "time", value) or None."""
    m = _CALLER_ID.match(text.upper())
    if m is None:
        return None
    if m[1]:
        key = {"NMBR": "number", "NAME": "name", "DATE": "date", "TIME": "time", "DDN_NMBR": "called",
               "MESG": "message"}[m[1]]
        value = text[text.index("=") + 1:].strip()
    else:
        key = "number" if m[3] == "NUMBER" else "name"
        value = text[text.index(":") + 1:].strip()
    return key, value


def caller_number(value: str) -> str:
    """The caller's number as the box keeps it: digits (and + * #), at most 32; "anonymous" for a
    withheld or unusable one."""
    value = value.strip()
    if value.upper() in ANONYMOUS or not re.fullmatch(r"\+?[0-9*#]{1,32}", value):
        return "anonymous"
    return value
