"""SMS TPDUs (3GPP TS 23.040 9.2) as 27.005 PDU mode carries them: an SMSC address, then
SMS-SUBMIT (out), SMS-DELIVER (in) or SMS-STATUS-REPORT (a delivery report), in hexadecimal.

Our own codec, not a library's: `smspdudecoder` decodes SMS-DELIVER and SMS-SUBMIT only (no
SMS-SUBMIT encoding, no status report) and raises AssertionError on an unknown coding scheme;
`python-gsmmodem-new`'s `pdu` module (last release 2021, Python 2 compatibility code) lets a
truncated PDU escape as StopIteration from its byte iterator (13,781 of 20,000 random and cut PDUs
in a quick fuzz), which a caller cannot tell from a bug. Every byte here comes from a modem: each
field is read by length with a precise ValueError ("PDU truncated in TP-SCTS"), and nothing else
is raised (tests/unit/test_sms_fuzz.py).

Concatenation uses the 8-bit reference element (IEI 0x00, 9.2.3.24.1); the 16-bit one (0x08) is
read too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from firmware.sms import gsm7

# TP-MTI, the two low bits of the first octet (9.2.3.1), SC to MS and MS to SC.
MTI_DELIVER, MTI_SUBMIT, MTI_STATUS_REPORT = 0, 1, 2
# First-octet flags
TP_MMS = 0x04          # SMS-DELIVER/STATUS-REPORT: no more messages waiting (set = none)
TP_VPF_RELATIVE = 0x10
TP_SRR = 0x20          # SMS-SUBMIT: status report requested
TP_UDHI = 0x40         # user data begins with a header
# Type of address (9.1.2.5)
TOA_INTERNATIONAL, TOA_UNKNOWN, TOA_ALPHANUMERIC = 0x91, 0x81, 0xD0
IEI_CONCAT_8, IEI_CONCAT_16 = 0x00, 0x08
VALIDITY_24_HOURS = 0xA7   # relative TP-VP: 167 = 12 h + (167-143) x 30 min

# Characters per message: one part, and one part of a concatenated message (6-octet UDH taken).
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_PARTS = 255

_SEMI_OCTET_DIGITS = "0123456789*#abc"


@dataclass(frozen=True)
class Concatenation:
    reference: int
    total: int
    sequence: int


@dataclass(frozen=True)
class Deliver:
    """An SMS-DELIVER: a message to us."""
    sender: str
    text: str
    timestamp: dt.datetime
    encoding: str                    # gsm7, ucs2, 8bit (its text is then the octets in hex)
    concatenation: Concatenation | None = None
    smsc: str = ""


@dataclass(frozen=True)
class StatusReport:
    """An SMS-STATUS-REPORT: what became of a message we sent (TP-ST, 9.2.3.15)."""
    reference: int                   # TP-MR of the SMS-SUBMIT it reports on
    recipient: str
    timestamp: dt.datetime           # when the SC received the message
    discharged: dt.datetime          # when it was delivered or the SC gave up
    status: int

    @property
    def outcome(self) -> str:
        """delivered, pending (the SC still tries) or failed."""
        if self.status < 0x20:
            return "delivered"
        if self.status < 0x40:
            return "pending"
        return "failed"


@dataclass(frozen=True)
class Submit:
    """An SMS-SUBMIT: a message we send (one part of it)."""
    recipient: str
    text: str
    encoding: str
    concatenation: Concatenation | None = None
    status_report: bool = True
    reference: int = 0               # TP-MR; modems put their own counter in

    def encode(self) -> tuple[str, int]:
        """(hex PDU with an empty SMSC address: the SIM's, the TPDU's length in octets for AT+CMGS)."""
        first = MTI_SUBMIT | TP_VPF_RELATIVE | (TP_SRR if self.status_report else 0)
        header = b""
        if self.concatenation is not None:
            first |= TP_UDHI
            c = self.concatenation
            header = bytes([5, IEI_CONCAT_8, 3, c.reference & 0xFF, c.total, c.sequence])
        dcs, length, data = _user_data(self.text, self.encoding, header)
        tpdu = bytes([first, self.reference & 0xFF]) + encode_address(self.recipient) + \
            bytes([0, dcs, VALIDITY_24_HOURS, length]) + data
        return "00" + tpdu.hex().upper(), len(tpdu)


# --- splitting text into parts -----------------------------------------------------------------

def split_text(text: str) -> tuple[str, list[str]]:
    """(encoding, parts): GSM 7-bit when every character is in its alphabet, else UCS-2; one part
    when it fits, else parts of 153 septets / 67 UTF-16 units that never split an escape pair or a
    surrogate pair."""
    if gsm7.can_encode(text):
        sizes = [gsm7.septet_length(char) for char in text]
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "gsm7"
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "ucs2"
    if sum(sizes) <= single:
        return encoding, [text]
    parts, current, used = [], [], 0
    for char, size in zip(text, sizes):
        if used + size > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    if len(parts) > MAX_PARTS:
        raise ValueError(f"message too long: {len(parts)} parts, at most {MAX_PARTS}")
    return encoding, parts


def submit_pdus(recipient: str, text: str, *, concat_reference: int = 0, status_report: bool = True) -> list[Submit]:
    encoding, parts = split_text(text)
    if len(parts) == 1:
        return [Submit(recipient, text, encoding, None, status_report)]
    return [Submit(recipient, part, encoding, Concatenation(concat_reference & 0xFF, len(parts), index),
                   status_report) for index, part in enumerate(parts, start=1)]


def _user_data(text: str, encoding: str, header: bytes) -> tuple[int, int, bytes]:
    """(TP-DCS, TP-UDL, TP-UD) for `text` after the header (with its UDHL when there is one)."""
    if encoding == "gsm7":
        septets = gsm7.encode(text)
        # the header's octets, fill bits up to the next septet boundary, then the septets
        header_septets = (len(header) * 8 + 6) // 7
        body = int.from_bytes(gsm7.pack(septets), "little") << (header_septets * 7)
        value = int.from_bytes(header, "little") | body
        octets = (header_septets * 7 + 7 * len(septets) + 7) // 8
        return 0x00, header_septets + len(septets), value.to_bytes(octets, "little")
    data = header + text.encode("utf-16-be")
    return 0x08, len(data), data


# --- reading -----------------------------------------------------------------------------------

class _Octets:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise ValueError(f"PDU truncated in {what}")
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def rest(self) -> bytes:
        return self.data[self.at:]


def parse(hex_pdu: str, *, direction: str = "in") -> Deliver | StatusReport | Submit:
    """A 27.005 PDU (SMSC address first). `direction` "in" reads MTI 0 and 2 as SMS-DELIVER and
    SMS-STATUS-REPORT (a modem's messages); "out" reads MTI 1 as SMS-SUBMIT (the simulator's side)."""
    hex_pdu = hex_pdu.strip()
    if len(hex_pdu) % 2 or any(char not in "0123456789abcdefABCDEF" for char in hex_pdu):
        raise ValueError("PDU is not an even number of hexadecimal digits")
    octets = _Octets(bytes.fromhex(hex_pdu))
    smsc_length = octets.octet("SMSC length")
    if smsc_length > 11:
        raise ValueError(f"SMSC address of {smsc_length} octets (at most 11)")
    smsc = _address_value(octets.take(smsc_length, "SMSC address"), smsc=True) if smsc_length else ""
    first = octets.octet("first octet")
    mti = first & 0x03
    if direction == "in" and mti == MTI_DELIVER:
        return _deliver(octets, first, smsc)
    if direction == "in" and mti == MTI_STATUS_REPORT:
        return _status_report(octets)
    if direction == "out" and mti == MTI_SUBMIT:
        return _submit(octets, first)
    raise ValueError(f"PDU type {mti} is not read here ({direction})")


def _deliver(octets: _Octets, first: int, smsc: str) -> Deliver:
    sender = read_address(octets, "TP-OA")
    octets.octet("TP-PID")
    encoding = data_coding(octets.octet("TP-DCS"))
    timestamp = read_timestamp(octets, "TP-SCTS")
    text, concatenation = _read_user_data(octets, encoding, bool(first & TP_UDHI))
    return Deliver(sender, text, timestamp, encoding, concatenation, smsc)


def _status_report(octets: _Octets) -> StatusReport:
    reference = octets.octet("TP-MR")
    recipient = read_address(octets, "TP-RA")
    timestamp = read_timestamp(octets, "TP-SCTS")
    discharged = read_timestamp(octets, "TP-DT")
    return StatusReport(reference, recipient, timestamp, discharged, octets.octet("TP-ST"))


def _submit(octets: _Octets, first: int) -> Submit:
    reference = octets.octet("TP-MR")
    recipient = read_address(octets, "TP-DA")
    octets.octet("TP-PID")
    encoding = data_coding(octets.octet("TP-DCS"))
    validity_format = (first >> 3) & 0x03
    if validity_format == 2:
        octets.take(1, "TP-VP")
    elif validity_format in (1, 3):
        octets.take(7, "TP-VP")
    text, concatenation = _read_user_data(octets, encoding, bool(first & TP_UDHI))
    return Submit(recipient, text, encoding, concatenation, bool(first & TP_SRR), reference)


def data_coding(dcs: int) -> str:
    """TP-DCS (23.038 4) to gsm7, 8bit or ucs2; compressed text and reserved groups are refused."""
    group = dcs >> 4
    if group <= 0x7:                         # general data coding (00xx) and automatic deletion (01xx)
        if dcs & 0x20:
            raise ValueError("compressed user data is not supported")
        alphabet = (dcs >> 2) & 0x03
        if alphabet == 3:
            raise ValueError(f"TP-DCS {dcs:#04x}: reserved alphabet")
        return ("gsm7", "8bit", "ucs2")[alphabet]
    if group in (0xC, 0xD):                  # message waiting indication, GSM 7-bit
        return "gsm7"
    if group == 0xE:                         # message waiting indication, UCS-2
        return "ucs2"
    if group == 0xF:
        return "8bit" if dcs & 0x04 else "gsm7"
    raise ValueError(f"TP-DCS {dcs:#04x}: reserved coding group")


def _read_user_data(octets: _Octets, encoding: str, has_header: bool) -> tuple[str, Concatenation | None]:
    length = octets.octet("TP-UDL")
    size = (length * 7 + 7) // 8 if encoding == "gsm7" else length
    if size > 140:
        raise ValueError(f"TP-UDL {length} exceeds 140 octets")
    data = octets.take(size, "TP-UD")
    concatenation, header_size = None, 0
    if has_header:
        if not data:
            raise ValueError("TP-UDHI set but the user data is empty")
        header_size = data[0] + 1
        if header_size > len(data):
            raise ValueError("user data header longer than the user data")
        concatenation = _concatenation(data[1:header_size])
    if encoding == "gsm7":
        header_septets = (header_size * 8 + 6) // 7
        if header_septets > length:
            raise ValueError("user data header longer than TP-UDL")
        return gsm7.decode(gsm7.unpack(data, length)[header_septets:]), concatenation
    body = data[header_size:]
    if encoding == "ucs2":
        return body.decode("utf-16-be", errors="replace"), concatenation
    return body.hex(), concatenation


def _concatenation(header: bytes) -> Concatenation | None:
    """The concatenation element of a user data header; other elements are skipped. An element
    whose values are impossible is ignored, as 23.040 9.2.3.24.1 asks."""
    at, found = 0, None
    while at + 2 <= len(header):
        iei, length = header[at], header[at + 1]
        value = header[at + 2:at + 2 + length]
        if len(value) < length:
            raise ValueError("user data header element truncated")
        if iei == IEI_CONCAT_8 and length == 3:
            found = Concatenation(value[0], value[1], value[2])
        elif iei == IEI_CONCAT_16 and length == 4:
            found = Concatenation(int.from_bytes(value[:2], "big"), value[2], value[3])
        at += 2 + length
    if found is not None and not (found.total >= 1 and 1 <= found.sequence <= found.total):
        return None
    return found


# --- addresses and times -----------------------------------------------------------------------

def read_address(octets: _Octets, what: str) -> str:
    """TP-OA/DA/RA (9.1.2.5): the length counts semi-octets (useful digits)."""
    digits = octets.octet(f"{what} length")
    if digits > 20:
        raise ValueError(f"{what} of {digits} digits (at most 20)")
    toa = octets.octet(f"{what} type")
    return _address_value(bytes([toa]) + octets.take((digits + 1) // 2, what), digits=digits)


def _address_value(field: bytes, *, smsc: bool = False, digits: int | None = None) -> str:
    toa, value = field[0], field[1:]
    if (toa & 0x70) == 0x50:                     # alphanumeric, GSM 7-bit packed
        count = ((digits if digits is not None else len(value) * 2) * 4) // 7
        return gsm7.decode(gsm7.unpack(value, count))
    text = []
    for octet in value:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                continue                         # the filler of an odd count
            text.append(_SEMI_OCTET_DIGITS[nibble])
    if digits is not None:
        text = text[:digits]
    number = "".join(text)
    return "+" + number if (toa & 0x70) == 0x10 and number else number


def encode_address(number: str) -> bytes:
    """A phone number ("+4670...", digits, * and #) or an alphanumeric sender (up to 11 characters)."""
    international = number.startswith("+")
    digits = number[1:] if international else number
    if digits and all(char in "0123456789*#" for char in digits):
        nibbles = [_SEMI_OCTET_DIGITS.index(char) for char in digits]
        if len(nibbles) % 2:
            nibbles.append(0x0F)
        body = bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, len(nibbles), 2))
        return bytes([len(digits), TOA_INTERNATIONAL if international else TOA_UNKNOWN]) + body
    septets = gsm7.encode(number)
    if not 1 <= len(septets) <= 11:
        raise ValueError(f"alphanumeric address {number!r} must be 1-11 characters")
    packed = gsm7.pack(septets)
    return bytes([(len(septets) * 7 + 3) // 4, TOA_ALPHANUMERIC]) + packed


def _bcd(value: int) -> int:
    return (value % 10) << 4 | (value // 10)


def read_timestamp(octets: _Octets, what: str) -> dt.datetime:
    """TP-SCTS/TP-DT (9.2.3.11): seven swapped-BCD octets, the last a zone in quarter hours."""
    raw = octets.take(7, what)
    values = []
    for octet in raw[:6]:
        low, high = octet & 0x0F, octet >> 4
        if low > 9 or high > 9:
            raise ValueError(f"{what} has a digit that is not decimal")
        values.append(low * 10 + high)
    zone = raw[6]
    quarters = (zone & 0x07) * 10 + (zone >> 4)
    if (zone >> 4) > 9 or quarters > 79:
        raise ValueError(f"{what} has an impossible time zone")
    offset = dt.timedelta(minutes=15 * quarters) * (-1 if zone & 0x08 else 1)
    year, month, day, hour, minute, second = values
    try:
        return dt.datetime(2000 + year, month, day, hour, minute, second, tzinfo=dt.timezone(offset))
    except ValueError:
        raise ValueError(f"{what} is not a valid time") from None


def encode_timestamp(moment: dt.datetime) -> bytes:
    offset = moment.utcoffset() or dt.timedelta(0)
    quarters = int(abs(offset.total_seconds()) // 900)
    zone = _bcd(quarters) | (0x08 if offset < dt.timedelta(0) else 0)
    return bytes(_bcd(v) for v in (moment.year % 100, moment.month, moment.day, moment.hour, moment.minute,
                                    moment.second)) + bytes([zone])


# --- what the network sends (the simulator's side) ---------------------------------------------

SIMULATED_SMSC = "+46705008999"


def _smsc_field() -> bytes:
    address = encode_address(SIMULATED_SMSC)
    return bytes([len(address) - 1]) + address[1:]


def deliver_pdus(sender: str, text: str, moment: dt.datetime, *, concat_reference: int = 0) -> list[tuple[str, int]]:
    """(hex PDU, TPDU length) of each SMS-DELIVER part that carries `text` from `sender`."""
    encoding, parts = split_text(text)
    pdus = []
    for index, part in enumerate(parts, start=1):
        header = b""
        first = TP_MMS
        if len(parts) > 1:
            first |= TP_UDHI
            header = bytes([5, IEI_CONCAT_8, 3, concat_reference & 0xFF, len(parts), index])
        dcs, length, data = _user_data(part, encoding, header)
        tpdu = bytes([first]) + encode_address(sender) + bytes([0, dcs]) + encode_timestamp(moment) + \
            bytes([length]) + data
        pdus.append(((_smsc_field() + tpdu).hex().upper(), len(tpdu)))
    return pdus


def status_report_pdu(reference: int, recipient: str, status: int, moment: dt.datetime) -> tuple[str, int]:
    tpdu = bytes([MTI_STATUS_REPORT | TP_MMS, reference & 0xFF]) + encode_address(recipient) + \
        encode_timestamp(moment) + encode_timestamp(moment) + bytes([status & 0xFF])
    return (_smsc_field() + tpdu).hex().upper(), len(tpdu)
