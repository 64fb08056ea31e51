"""A GSM modem driven by 3GPP TS 27.005 over a serial line (pyserial): checks (AT+CPIN?, AT+CREG?),
sending in PDU mode (AT+CMGF=0) or text mode (AT+CMGF=1), messages and delivery reports coming in.

The modem rests in PDU mode: every message and report arrives with all its fields (concatenation,
coding, status). A message is sent in text mode when that mode is chosen and the message can go
that way: one part, GSM 7-bit default alphabet without the extension table (text mode has no user
data header, and ESC would end the prompt); anything else goes in PDU mode.

New messages are stored on the SIM and announced (AT+CNMI=2,1,0,1,0: +CMTI), then read with AT+CMGR
and deleted; messages left on the SIM are read at start (AT+CMGL=4). A +CMT (a modem set to route
messages straight to us) is read as well. Reports come as +CDS (or stored, +CDSI).

One thread uses a Modem; it blocks for at most a command's timeout. Unsolicited results that arrive
during a command wait in a bounded queue for `poll`: a modem that floods them cannot hold a command
past its deadline nor fill the memory.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

from firmware.sms import at, gsm7, pdu

log = logging.getLogger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"
COMMAND_TIMEOUT = 5.0
SEND_TIMEOUT = 60.0          # 27.005 leaves it to the network; real modems answer within a minute
QUEUE_LIMIT = 256
READ_CHUNK = 4096

REGISTRATION = {"0": "not registered and not searching", "2": "not registered, searching for a network",
                "3": "registration denied", "4": "registration state unknown"}


class ModemError(RuntimeError):
    """The modem refused or did not answer; `code` is the +CMS/+CME ERROR number when it gave one."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class SendError(ModemError):
    """A part could not be sent; `references` are the TP-MRs of the parts sent before it."""

    def __init__(self, message: str, code: int | None, references: list[int]):
        super().__init__(message, code)
        self.references = references


@dataclass(frozen=True)
class Incoming:
    message: pdu.Deliver
    index: int | None = None     # its place on the SIM (deleted once read)


@dataclass(frozen=True)
class Report:
    report: pdu.StatusReport


def text_mode_can_carry(text: str) -> bool:
    return len(text) <= pdu.GSM7_SINGLE and gsm7.can_encode(text) and \
        all(gsm7.septet_length(char) == 1 and char != "Ξ" for char in text)


class Modem:
    def __init__(self, port, *, mode: str = "pdu", pin: str = "", delivery_reports: bool = True,
                 command_timeout: float = COMMAND_TIMEOUT, send_timeout: float = SEND_TIMEOUT):
        self.port = port
        self.mode = mode
        self.pin = pin
        self.delivery_reports = delivery_reports
        self.command_timeout = command_timeout
        self.send_timeout = send_timeout
        self.lines = at.LineReader()
        self.assembler = at.Assembler()
        self.unsolicited: deque[at.Result] = deque(maxlen=QUEUE_LIMIT)
        self.own_number = ""
        self.dropped = 0
        self._pending: list[at.Final | at.Prompt | at.Result] = []

    @classmethod
    def open(cls, device: str, baudrate: int = 115200, **options) -> Modem:
        import serial

        try:
            port = serial.Serial(device, baudrate, timeout=0.05, write_timeout=COMMAND_TIMEOUT)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ModemError(f"cannot open {device}: {exc}") from None
        return cls(port, **options)

    def close(self) -> None:
        try:
            self.port.close()
        except OSError:
            pass

    # --- the dialogue ----------------------------------------------------------------------------

    def start(self) -> None:
        """Prepares the modem; a ModemError says what is wrong (SIM, network, refused command)."""
        self._drain()
        for attempt in range(3):          # a modem that just woke up may miss the first AT
            try:
                self.command("ATE0", timeout=min(1.0, self.command_timeout))
                break
            except ModemError:
                if attempt == 2:
                    raise ModemError("the modem does not answer AT commands") from None
        self.command("AT+CMEE=1")
        self._check_pin()
        self._check_registration()
        self.command("AT+CMGF=0")
        if self.delivery_reports:
            self.command("AT+CNMI=2,1,0,1,0")
        else:
            self.command("AT+CNMI=2,1,0,0,0")
        try:
            numbers = self.command("AT+CNUM", expect="+CNUM")
            self.own_number = next((r.args[1] for r in numbers if len(r.args) > 1 and r.args[1]), "")
        except ModemError:
            self.own_number = ""      # optional (27.007 7.1); many SIMs do not store it

    def _check_pin(self) -> None:
        state = self._one("AT+CPIN?", "+CPIN")
        if state == "READY":
            return
        if state == "SIM PIN":
            if not self.pin:
                raise ModemError("the SIM asks for its PIN: set it in the SMS settings")
            try:
                self.command(f'AT+CPIN="{self.pin}"')
            except ModemError as exc:
                raise ModemError(f"the SIM refused the PIN ({exc})", exc.code) from None
            return
        if state == "SIM PUK":
            raise ModemError("the SIM is blocked (it asks for its PUK): unblock it in a phone")
        raise ModemError(f"the SIM is not ready: {state or 'no answer'}")

    def _check_registration(self) -> None:
        answer = self.command("AT+CREG?", expect="+CREG")
        args = answer[0].args if answer else ()
        status = args[1] if len(args) > 1 else (args[0] if args else "")
        if status not in ("1", "5"):      # home network, roaming
            raise ModemError(f"not on a network: {REGISTRATION.get(status, f'state {status!r}')}")

    def _one(self, command: str, prefix: str) -> str:
        answer = self.command(command, expect=prefix)
        return answer[0].args[0] if answer and answer[0].args else ""

    def command(self, command: str, *, expect: str | None = None, timeout: float | None = None) -> list[at.Result]:
        """Sends one command, returns its information results (those named `expect`; the others are
        kept for `poll`), raises ModemError on an error result or no final result in time."""
        self._write(command.encode("ascii") + b"\r")
        return self._until_final(command, expect, timeout or self.command_timeout)

    def _until_final(self, command: str, expect: str | None, timeout: float) -> list[at.Result]:
        deadline = time.monotonic() + timeout
        answer: list[at.Result] = []
        while True:
            item = self._next(deadline)
            if item is None:
                raise ModemError(f"{command}: no answer within {timeout:g} s")
            if isinstance(item, at.Final):
                if item.ok:
                    return answer
                raise ModemError(f"{command}: {item.text}", item.code)
            if isinstance(item, at.Result):
                if expect is not None and item.name == expect:
                    answer.append(item)
                else:
                    self._unsolicited(item)

    def _unsolicited(self, item: at.Result) -> None:
        if len(self.unsolicited) == self.unsolicited.maxlen:
            if self.dropped % 1000 == 0:
                log.warning("modem floods unsolicited results: the oldest are dropped (%d so far)", self.dropped + 1)
            self.dropped += 1
        self.unsolicited.append(item)

    def _next(self, deadline: float) -> at.Final | at.Prompt | at.Result | None:
        while not self._pending:
            for line in self.lines.feed(self._read()):
                self._pending += self.assembler.push(line)
            if not self._pending and time.monotonic() >= deadline:
                return None
        return self._pending.pop(0)

    def _read(self) -> bytes:
        try:
            waiting = self.port.in_waiting
            return self.port.read(min(max(waiting, 1), READ_CHUNK))
        except (OSError, ValueError) as exc:   # serial.SerialException is an OSError
            raise ModemError(f"modem gone: {exc}") from None

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except (OSError, ValueError) as exc:
            raise ModemError(f"modem gone: {exc}") from None

    def _drain(self) -> None:
        end = time.monotonic() + 0.2
        while time.monotonic() < end and self._read():
            pass
        self.lines = at.LineReader()
        self.assembler = at.Assembler()
        self._pending.clear()

    # --- sending ---------------------------------------------------------------------------------

    def send(self, number: str, text: str, *, concat_reference: int = 0, skip_parts: int = 0) -> list[int]:
        """Sends `text` to `number`; returns the TP-MR of each part sent. On a refused part a
        SendError carries the references of the parts before it; `skip_parts` resumes after those
        (same concatenation reference, so the phone still joins them)."""
        if self.mode == "text" and skip_parts == 0 and text_mode_can_carry(text):
            return [self._send_text(number, text)]
        parts = pdu.submit_pdus(number, text, concat_reference=concat_reference,
                                status_report=self.delivery_reports)
        references: list[int] = []
        for part in parts[skip_parts:]:
            hex_pdu, length = part.encode()
            try:
                references.append(self._submit(f"AT+CMGS={length}", hex_pdu.encode("ascii")))
            except ModemError as exc:
                raise SendError(str(exc), exc.code, references) from None
        return references

    def _send_text(self, number: str, text: str) -> int:
        self.command("AT+CMGF=1")
        try:
            self.command('AT+CSCS="GSM"')
            # first octet 17 = SMS-SUBMIT, relative validity; 49 adds the status report request
            self.command(f"AT+CSMP={49 if self.delivery_reports else 17},{pdu.VALIDITY_24_HOURS},0,0")
            return self._submit(f'AT+CMGS="{number}"', bytes(gsm7.encode(text)))
        except ModemError as exc:
            raise SendError(str(exc), exc.code, []) from None
        finally:
            self.command("AT+CMGF=0")

    def _submit(self, command: str, payload: bytes) -> int:
        self._write(command.encode("ascii") + b"\r")
        deadline = time.monotonic() + self.command_timeout
        while True:
            item = self._next(deadline)
            if item is None:
                self._write(ESC)              # cancels the prompt (27.005 3.5.1)
                raise ModemError(f"{command}: no prompt within {self.command_timeout:g} s")
            if isinstance(item, at.Prompt):
                break
            if isinstance(item, at.Final):
                raise ModemError(f"{command}: {item.text}", item.code)
            self._unsolicited(item)
        self._write(payload + CTRL_Z)
        answer = self._until_final(command, "+CMGS", self.send_timeout)
        if not answer or not answer[0].args or not answer[0].args[0].isdigit():
            raise ModemError(f"{command}: sent, but no +CMGS reference")
        return int(answer[0].args[0]) & 0xFF

    # --- receiving -------------------------------------------------------------------------------

    def read_stored(self) -> list[Incoming | Report]:
        """Every message and report the SIM holds (AT+CMGL=4, all), deleted once read."""
        found, indexes = [], []
        for result in self.command("AT+CMGL=4", expect="+CMGL"):
            index = result.args[0] if result.args and result.args[0].isdigit() else None
            found += self._stored_item(result, int(index) if index is not None else None)
            if index is not None:
                indexes.append(index)
        for index in indexes:
            self.command(f"AT+CMGD={index}")
        return found

    def poll(self, timeout: float = 0.0) -> list[Incoming | Report]:
        """What arrived: unsolicited results read within `timeout`, stored messages fetched."""
        deadline = time.monotonic() + timeout
        while True:
            item = self._next(deadline) if not self.unsolicited else None
            if item is None:
                break
            if isinstance(item, at.Result):
                self._unsolicited(item)
        events: list[Incoming | Report] = []
        while self.unsolicited:
            events += self._handle(self.unsolicited.popleft())
        return events

    def _handle(self, result: at.Result) -> list[Incoming | Report]:
        try:
            if result.name in ("+CMTI", "+CDSI") and len(result.args) >= 2 and result.args[1].isdigit():
                index = int(result.args[1])
                fetched = self.command(f"AT+CMGR={index}", expect="+CMGR")
                events = []
                for item in fetched:
                    events += self._stored_item(item, index)
                self.command(f"AT+CMGD={index}")
                return events
            if result.name in ("+CMT", "+CDS"):
                return self._direct(result)
        except ModemError as exc:
            log.warning("modem: %s while reading %r", exc, result.line[:80])
            return []
        if result.name not in ("RING", "+CREG", "^RSSI", "^BOOT", "+CUSD", "NO CARRIER"):
            log.info("modem said %r (ignored)", result.line[:80])
        return []

    def _stored_item(self, result: at.Result, index: int | None) -> list[Incoming | Report]:
        if result.body is None or not at.pdu_form(result):
            log.warning("stored message %s not in PDU form (ignored)", index)
            return []
        return self._decoded(result.body, index)

    def _direct(self, result: at.Result) -> list[Incoming | Report]:
        if result.name == "+CDS" and result.body is None:
            return self._text_report(result.args)
        if result.body is None:
            return []
        if at.pdu_form(result):
            return self._decoded(result.body, None)
        # text mode +CMT: <oa>,[<alpha>],<scts> then the text in the GSM alphabet's codes
        sender = result.args[0] if result.args else ""
        text = gsm7.decode(result.body.encode("latin-1"))
        return [Incoming(pdu.Deliver(sender, text, _now(), "gsm7"))]

    def _text_report(self, args: tuple[str, ...]) -> list[Incoming | Report]:
        """+CDS: <fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st> (27.005 3.4.1, text mode)."""
        if len(args) < 7 or not args[1].isdigit() or not args[6].isdigit():
            log.warning("text-mode status report %r not understood", ",".join(args)[:80])
            return []
        moment = _now()
        return [Report(pdu.StatusReport(int(args[1]) & 0xFF, args[2], moment, moment, int(args[6]) & 0xFF))]

    def _decoded(self, hex_pdu: str, index: int | None) -> list[Incoming | Report]:
        try:
            message = pdu.parse(hex_pdu)
        except ValueError as exc:
            log.warning("modem message %s not read: %s", index if index is not None else "", exc)
            return []
        if isinstance(message, pdu.StatusReport):
            return [Report(message)]
        if isinstance(message, pdu.Deliver):
            return [Incoming(message, index)]
        return []


def _now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)
