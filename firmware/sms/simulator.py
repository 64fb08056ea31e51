"""A GSM modem behind a real pseudo-terminal (os.openpty), for tests and for an installer without
hardware (`callbox card-sim gsm`): it answers the 27.005 dialogue the driver holds (ATE0, AT+CMEE,
AT+CPIN?, AT+CREG?, AT+CMGF, AT+CSCS, AT+CSMP, AT+CNMI, AT+CNUM, AT+CMGS in text and PDU mode,
AT+CMGR, AT+CMGL, AT+CMGD), and can be told to refuse the next sends (+CMS ERROR), to deliver a
message (stored with +CMTI, or straight with +CMT; long ones concatenated, non-Latin ones in
UCS-2), and sends a delivery report (+CDS) for each part whose report was asked for.

Like a real modem it echoes commands until ATE0 and speaks PDU mode until told otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import threading
import tty
from dataclasses import dataclass

from firmware.sms import gsm7, pdu

CMS_NETWORK_FAILURE = 500     # "unknown error" (27.005 3.2.5): what most modems say when the network refused
CME_INCORRECT_PASSWORD = 16
CMS_INVALID_INDEX = 321


@dataclass
class Sent:
    """A part the simulator accepted."""
    mode: str                  # pdu or text
    recipient: str
    text: str
    encoding: str
    concatenation: pdu.Concatenation | None
    reference: int
    report_requested: bool


class GsmSimulator:
    def __init__(self, *, pin: str = "", own_number: str = "+46701110000", registration: str = "1",
                 report_status: int | None = 0):
        self.pin = pin
        self.pin_entered = not pin
        self.own_number = own_number
        self.registration = registration
        self.report_status = report_status      # TP-ST of the automatic reports; None: send none
        self.echo = True
        self.text_mode = False
        self.report_in_text = False
        self.csmp_first_octet = 17
        self.cnmi = (0, 0, 0, 0, 0)
        self.storage: dict[int, tuple[int, str, int]] = {}     # index -> (stat, hex PDU, TPDU length)
        self.sent: list[Sent] = []
        self.failures: list[int] = []           # +CMS ERROR codes for the next sends
        self.commands: list[str] = []
        self.next_reference = 1
        self.next_concat = 1
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._buffer = bytearray()
        self._prompt: str | None = None         # the AT+CMGS waiting for its message
        self._thread = threading.Thread(target=self._serve, name="gsm-simulator", daemon=True)

    # --- what a test or the installer does -------------------------------------------------------

    def start(self) -> GsmSimulator:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def fail_next_sends(self, count: int = 1, code: int = CMS_NETWORK_FAILURE) -> None:
        with self._lock:
            self.failures += [code] * count

    def deliver(self, sender: str, text: str, *, direct: bool = False) -> int:
        """A message from `sender` arrives (in parts when long); returns how many parts."""
        with self._lock:
            reference, self.next_concat = self.next_concat, (self.next_concat + 1) % 256
            parts = pdu.deliver_pdus(sender, text, dt.datetime.now(dt.UTC).replace(microsecond=0),
                                     concat_reference=reference)
            for hex_pdu, length in parts:
                if direct:
                    self._write(f"\r\n+CMT: ,{length}\r\n{hex_pdu}\r\n")
                else:
                    index = max(self.storage, default=0) + 1
                    self.storage[index] = (0, hex_pdu, length)
                    self._write(f'\r\n+CMTI: "SM",{index}\r\n')
            return len(parts)

    def report(self, reference: int, recipient: str, status: int = 0) -> None:
        with self._lock:
            self._send_report(reference, recipient, status)

    def inject(self, data: bytes) -> None:
        """Raw bytes to the driver, as a broken or chatty modem would send them. Blocks while the
        pty's buffer is full (until the driver reads): call it from a thread of its own for floods."""
        for start in range(0, len(data), 1024):
            with self._lock:
                self._write(data[start:start + 1024])

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[Sent]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.sent) >= count, timeout):
                raise TimeoutError(f"{len(self.sent)} parts sent, waited for {count}")
            return list(self.sent)

    def wait_until_read(self, timeout: float = 5.0) -> None:
        """Until the driver has read and deleted every stored message."""
        with self._changed:
            if not self._changed.wait_for(lambda: not self.storage, timeout):
                raise TimeoutError(f"{len(self.storage)} messages still stored")

    # --- the modem's side --------------------------------------------------------------------------

    def _write(self, text: str | bytes) -> None:
        data = text.encode("latin-1") if isinstance(text, str) else text
        try:
            while data:
                written = os.write(self.master, data)
                data = data[written:]
        except OSError:
            pass

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.master, 4096)
            except OSError:
                return
            with self._changed:
                self._buffer += data
                self._process()
                self._changed.notify_all()

    def _process(self) -> None:
        while self._buffer:
            if self._prompt is not None:
                end = min((i for i in (self._buffer.find(b"\x1a"), self._buffer.find(b"\x1b")) if i >= 0),
                          default=-1)
                if end < 0:
                    return
                payload, terminator = bytes(self._buffer[:end]), self._buffer[end]
                del self._buffer[:end + 1]
                command, self._prompt = self._prompt, None
                if terminator == 0x1A:
                    self._message(command, payload)
                else:
                    self._write("\r\nOK\r\n")            # ESC: the send is cancelled
                continue
            end = self._buffer.find(b"\r")
            if end < 0:
                return
            line = bytes(self._buffer[:end]).decode("latin-1").strip("\n ")
            del self._buffer[:end + 1]
            if self.echo:
                self._write(line + "\r")
            if line:
                self.commands.append(line)
                self._command(line)

    def _ok(self, *lines: str) -> None:
        self._write("".join(f"\r\n{line}" for line in lines) + "\r\n\r\nOK\r\n" if lines else "\r\nOK\r\n")

    def _error(self, kind: str = "", code: int = 0) -> None:
        self._write(f"\r\n+{kind} ERROR: {code}\r\n" if kind else "\r\nERROR\r\n")

    def _command(self, line: str) -> None:
        upper = line.upper()
        if not upper.startswith("AT"):
            return self._error()
        body, command = line[2:], upper[2:]
        if command in ("", "Z", "&F", "+CMEE=1", "+CMEE=2", "+CMEE=0", 'E1') or command.startswith(("+CSCS=",)):
            self.echo = self.echo or command == "E1"
            return self._ok()
        if command == "E0":
            self.echo = False
            return self._ok()
        if command == "+CPIN?":
            return self._ok(f"+CPIN: {'READY' if self.pin_entered else 'SIM PIN'}")
        if command.startswith("+CPIN="):
            given = body[6:].strip('"')
            if self.pin and given == self.pin:
                self.pin_entered = True
                return self._ok()
            return self._error("CME", CME_INCORRECT_PASSWORD)
        if not self.pin_entered and command.startswith(("+CMG", "+CREG", "+CNMI")):
            return self._error("CME", 11)                  # SIM PIN required
        if command == "+CREG?":
            return self._ok(f"+CREG: 0,{self.registration}")
        if command in ("+CMGF=0", "+CMGF=1"):
            self.text_mode = command.endswith("1")
            return self._ok()
        if command == "+CMGF?":
            return self._ok(f"+CMGF: {int(self.text_mode)}")
        if command.startswith("+CSMP="):
            first = body[6:].split(",")[0]
            self.csmp_first_octet = int(first) if first.isdigit() else 17
            return self._ok()
        if command.startswith("+CNMI="):
            values = [int(v) if v.isdigit() else 0 for v in body[6:].split(",")]
            self.cnmi = tuple((values + [0] * 5)[:5])
            return self._ok()
        if command == "+CNUM":
            return self._ok(f'+CNUM: "","{self.own_number}",{145 if self.own_number.startswith("+") else 129}')
        if command in ("+CGMI", "+CGMM"):
            return self._ok("Callbox" if command == "+CGMI" else "GSM modem simulator")
        if command.startswith("+CMGS="):
            argument = body[6:].strip()
            if self.text_mode and not argument.startswith('"'):
                return self._error("CMS", 304)             # invalid PDU mode parameter
            self._prompt = line
            return self._write("\r\n> ")
        if command.startswith("+CMGR="):
            return self._read_stored(body[6:])
        if command.startswith("+CMGL"):
            rows = []
            for index, (stat, hex_pdu, length) in sorted(self.storage.items()):
                rows += [f"+CMGL: {index},{stat},,{length}", hex_pdu]
            return self._ok(*rows)
        if command.startswith("+CMGD="):
            index = body[6:].split(",")[0]
            if index.isdigit() and self.storage.pop(int(index), None) is not None:
                return self._ok()
            return self._error("CMS", CMS_INVALID_INDEX)
        return self._error()

    def _read_stored(self, argument: str) -> None:
        if not argument.isdigit() or int(argument) not in self.storage:
            return self._error("CMS", CMS_INVALID_INDEX)
        stat, hex_pdu, length = self.storage[int(argument)]
        self.storage[int(argument)] = (1, hex_pdu, length)
        if self.text_mode:
            message = pdu.parse(hex_pdu)
            assert isinstance(message, pdu.Deliver)
            return self._ok(f'+CMGR: "REC UNREAD","{message.sender}",,"00/01/01,00:00:00+00"', message.text)
        return self._ok(f"+CMGR: {stat},,{length}", hex_pdu)

    def _message(self, command: str, payload: bytes) -> None:
        """The message after AT+CMGS's prompt."""
        argument = command[8:].strip()
        try:
            if argument.startswith('"'):
                recipient = argument.strip('"')
                text = gsm7.decode(payload)
                sent = Sent("text", recipient, text, "gsm7", None, 0, bool(self.csmp_first_octet & pdu.TP_SRR))
            else:
                submit = pdu.parse(payload.decode("ascii"), direction="out")
                if not argument.isdigit() or int(argument) != len(payload) // 2 - 1:
                    raise ValueError("TPDU length does not match AT+CMGS")
                assert isinstance(submit, pdu.Submit)
                sent = Sent("pdu", submit.recipient, submit.text, submit.encoding, submit.concatenation, 0,
                            submit.status_report)
        except (ValueError, UnicodeDecodeError):
            return self._error("CMS", 304)
        if self.failures:
            return self._error("CMS", self.failures.pop(0))
        sent.reference, self.next_reference = self.next_reference, (self.next_reference + 1) % 256
        self.sent.append(sent)
        self._ok(f"+CMGS: {sent.reference}")
        if sent.report_requested and self.report_status is not None and self.cnmi[3] == 1:
            self._send_report(sent.reference, sent.recipient, self.report_status)

    def _send_report(self, reference: int, recipient: str, status: int) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if self.text_mode:
            stamp = now.strftime("%y/%m/%d,%H:%M:%S+00")
            self._write(f'\r\n+CDS: 6,{reference},"{recipient}",145,"{stamp}","{stamp}",{status}\r\n')
            return
        hex_pdu, length = pdu.status_report_pdu(reference, recipient, status, now)
        self._write(f"\r\n+CDS: {length}\r\n{hex_pdu}\r\n")


def run_cli(args) -> int:
    """`callbox card-sim gsm`: the simulator until Ctrl-C, told what to do on standard input."""
    import signal
    import sys

    sim = GsmSimulator(pin=args.pin or "", own_number=args.own_number).start()
    device = sim.device
    if args.link:
        try:
            os.unlink(args.link)
        except FileNotFoundError:
            pass
        os.symlink(sim.device, args.link)
        device = f"{args.link} -> {sim.device}"
    print(f"GSM modem simulator on {device}", flush=True)
    print("commands: incoming NUMBER TEXT | incoming-direct NUMBER TEXT | fail [COUNT [CODE]] | "
          "report MR NUMBER STATUS | register yes|no | sent | quit", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for line in sys.stdin:
            if not _cli_command(sim, line.strip()):
                break
        else:
            signal.pause()          # no terminal (under supervisor): serve until stopped
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
        if args.link:
            try:
                os.unlink(args.link)
            except OSError:
                pass
    return 0


def _cli_command(sim: GsmSimulator, line: str) -> bool:
    word, _, rest = line.partition(" ")
    if word in ("quit", "exit"):
        return False
    if word in ("incoming", "incoming-direct"):
        number, _, text = rest.partition(" ")
        parts = sim.deliver(number, text, direct=word == "incoming-direct") if number and text else 0
        print(f"delivered in {parts} part(s)" if parts else "usage: incoming NUMBER TEXT", flush=True)
    elif word == "fail":
        values = [int(v) for v in rest.split() if v.isdigit()]
        sim.fail_next_sends(*(values[:2] or [1]))
        print("the next send(s) will be refused", flush=True)
    elif word == "report":
        values = rest.split()
        if len(values) == 3 and values[0].isdigit() and values[2].isdigit():
            sim.report(int(values[0]), values[1], int(values[2]))
        else:
            print("usage: report MR NUMBER STATUS", flush=True)
    elif word == "register":
        sim.registration = "1" if rest != "no" else "0"
    elif word == "sent":
        for sent in sim.sent:
            print(f"{sent.reference}: to {sent.recipient} ({sent.mode}, {sent.encoding}"
                  f"{f', part {sent.concatenation.sequence}/{sent.concatenation.total}' if sent.concatenation else ''}"
                  f"): {sent.text}", flush=True)
    elif word:
        print(f"unknown command {word!r}", flush=True)
    return True
