"""One analog line (FXO) through a V.253 voice modem: the AT dialogue as a state machine.

Pure apart from what it is given: bytes from the modem come in through `feed(data, now)`, time through
`tick(now)`, the box's wishes through `answer()`, `dial()` and `hang_up()`; bytes for the modem
collect in `output`, what the engine must hear in `events`, decoded audio goes to `hear(pcm, now)`
and the audio to send is asked of `say(samples)`. The serial link (serial_link.py) runs it in its own
thread; tests run it against the simulator or by hand.

The dialogue, as vgetty's V253/IS-101 drivers have it: `AT+FCLASS=8` (voice), the voice format
chosen by name from `AT+VSM=?` (the numbers are the vendor's), caller ID on (`AT+VCID=1`, else
Rockwell's `AT#CID=1`), hardware flow control (`AT+IFC=2,2`), full duplex probed (`AT+VTR=?`). A
call is answered with `AT+VLS=1` (off hook to the line; `ATA` where that is refused: Rockwell),
placed with `ATD<number>` and carried in `AT+VTR` (both ways at once) or, where the modem has no
+VTR, in `AT+VRX` (listen) and `AT+VTX` (speak), switched by what the box has to say. A modem that
stops answering commands is given up (`link_lost`) and the link reopens it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from firmware.cards import v253, voice_formats
from firmware.cards.v253 import Audio, Event

log = logging.getLogger(__name__)

RATE = 8000
COMMAND_TIMEOUT = 2.0        # seconds for a modem's final result (an ATD waits DIAL_TIMEOUT)
DIAL_TIMEOUT = 60.0
KEEPALIVE = 2.0              # an idle modem is asked "AT" this often: one that stopped answering is found
RING_GONE = 8.0              # no ring for this long: the caller gave up before the answer
RING_OFFER = 2               # rings before a call without caller ID is offered to the engine
CALLER_ID_SETTLE = 0.2       # after the number, the rest of the caller ID block (name) may follow
TX_LEAD = 0.06               # seconds of audio kept ahead in the modem's buffer
TX_MAX_BEHIND = 0.2          # further behind than this (the thread was held up): skip, do not burst
DIAL_TONE_WAIT = 3.0         # the card test: seconds off hook for the exchange's dial tone
HALF_DUPLEX_QUIET = 0.6      # seconds of the box's silence before a half-duplex line listens again
TX_BACKLOG = 4000            # bytes not yet taken by the modem (CTS low): audio past it is dropped, not queued
SPEECH_LEVEL = 300.0         # RMS of a frame the box "says something" in (half duplex)


@dataclass(frozen=True)
class CallOffered:
    caller: str
    name: str = ""


@dataclass(frozen=True)
class Answered:
    """The line carries voice (both ways) after an answer or a dial."""


@dataclass(frozen=True)
class Ended:
    cause: str        # caller-hangup, loop-break, polarity-reversal, silence, busy, no-answer, no-dialtone,
                      # abandoned (rang, never answered), line-down, box


@dataclass(frozen=True)
class Key:
    digit: str


@dataclass(frozen=True)
class LineUp:
    codec: str
    full_duplex: bool


@dataclass(frozen=True)
class LineDown:
    reason: str


@dataclass(frozen=True)
class LineChecked:
    """The card test (APP3): off hook, was there dial tone (<DLE>d) within DIAL_TONE_WAIT, and how soon."""
    dial_tone: bool
    seconds: float | None = None
    detail: str = ""


class V253Driver:
    def __init__(self, name: str = "fxo", dialect: str = "auto",
                 hear: Callable[[bytes, float], None] | None = None,
                 say: Callable[[int], bytes] | None = None):
        self.name = name
        self.dialect = dialect          # auto, conexant, usr, rockwell: only the answer command differs
        self.hear = hear or (lambda pcm, now: None)
        self.say = say or (lambda samples: b"\0\0" * samples)
        self.output = bytearray()
        self.events: list = []
        self.decoder = v253.StreamDecoder()
        self.state = "down"
        self.codec: str | None = None
        self.format: v253.VoiceFormat | None = None
        self.full_duplex = False
        self.answer_with_ata = dialect == "rockwell"
        self.in_call = False            # offered, answering, dialling or talking
        self.direction = ""             # voice data now: "both", "rx", "tx" or "" (command state)
        self._decode = voice_formats.Decoder("ulaw")
        self._command: tuple[str, Callable[[str, list[str]], None], float] | None = None
        self._queue: list[tuple[str, Callable[[str, list[str]], None], float]] = []
        self._info: list[str] = []
        self._caller: dict[str, str] = {}
        self._rings = 0
        self._last_ring = 0.0
        self._offered = False
        self._offer_at: float | None = None
        self._tx_start = 0.0
        self._tx_sent = 0
        self._box_quiet_since = 0.0
        self._switching = False
        self._wants: list[tuple] = []
        self.now = 0.0
        self._probed = 0.0
        self._check_started = 0.0
        self.backlog = 0                # bytes the link could not write yet (hardware flow control)
        self.counts = {"lines": 0, "events": 0, "unknown_events": 0, "audio_bytes": 0, "timeouts": 0,
                       "dropped_tx_samples": 0}

    # --- the link ------------------------------------------------------------------------------------

    def link_up(self, now: float) -> None:
        """The port is open: initialise the modem from the start."""
        self.now = now
        self.decoder.reset()
        self.output.clear()
        self._command, self._queue = None, []
        self.state = "init"
        self.in_call, self.direction = False, ""
        self._init_steps()

    def link_lost(self, reason: str) -> None:
        """The port failed or the modem stopped answering: whatever call there was is over."""
        if self.state == "down":
            return
        log.warning("%s: line down: %s", self.name, reason)
        if self.in_call:
            self.events.append(Ended("line-down"))
        self.in_call, self.direction, self.state = False, "", "down"
        self._command, self._queue = None, []
        self.decoder.voice = False
        self.events.append(LineDown(reason))

    # --- what the box asks (applied in the link's thread) --------------------------------------------

    def answer(self) -> None:
        if self.state != "ringing":
            log.info("%s: nothing to answer (%s)", self.name, self.state)
            return
        self.state = "answering"
        self._off_hook_for_answer()

    def dial(self, number: str) -> None:
        if self.state != "idle":
            self.events.append(Ended("line-busy"))
            return
        if not number or any(ch not in "0123456789*#+,PTW" for ch in number):
            self.events.append(Ended("bad-number"))
            return
        self.state, self.in_call = "dialling", True
        self._send("ATD" + number, self._dialled, DIAL_TIMEOUT)

    def check_line(self) -> None:
        """The card test: takes the idle line off hook and listens for the exchange's dial tone."""
        if self.state != "idle":
            self.events.append(LineChecked(False, None, f"the line is {self.state}, not idle"))
            return
        self.state, self._check_started = "checking", self.now

        def off_hook(result, info):
            if self.state != "checking":
                return
            if result == "ERROR" and not self.answer_with_ata:
                self.answer_with_ata = True           # learnt as for an answer: a Rockwell-style modem
                self._send("ATH1", off_hook)
            elif result not in ("OK", "VCON"):
                self._checked(False, f"off hook refused: {result}")
        # Rockwell style modems take the line with ATH1 (their AT+VLS=1 only answers a ring)
        self._send("ATH1" if self.answer_with_ata else "AT+VLS=1", off_hook)

    def _checked(self, dial_tone: bool, detail: str = "") -> None:
        seconds = round(self.now - self._check_started, 2) if dial_tone else None
        self.events.append(LineChecked(dial_tone, seconds, detail or ("dial tone" if dial_tone else
                                                                      f"no dial tone within {DIAL_TONE_WAIT:.0f} s")))
        self._on_hook()

    def hang_up(self) -> None:
        if not self.in_call:
            return
        self.in_call = False
        if self.state == "ringing":
            # an analog call cannot be refused: it is left to ring out (no second offer)
            self._offered = True
            return
        self._release("box")

    # --- input ---------------------------------------------------------------------------------------

    def feed(self, data: bytes, now: float) -> None:
        self.now = now
        if self.state == "down":
            return
        for item in self.decoder.feed(data):
            if isinstance(item, Audio):
                self.counts["audio_bytes"] += len(item.data)
                if self.direction in ("both", "rx") and not self._switching:
                    self.hear(self._decode(item.data), now)
            elif isinstance(item, Event):
                self.counts["events"] += 1
                self._event(item)
            else:
                self.counts["lines"] += 1
                self._line(item.text)

    def tick(self, now: float) -> None:
        """Timeouts, the end of an unanswered ring, and the audio due to the modem."""
        self.now = now
        if self.state == "down":
            return
        if self._command is not None and now > self._command[2]:
            command = self._command[0]
            self.counts["timeouts"] += 1
            self._command, self._queue = None, []
            self.link_lost(f"no answer to {command!r}")
            return
        if self.state == "idle" and self._command is None and not self._queue and now - self._probed > KEEPALIVE:
            self._probed = now
            self._send("AT", lambda result, info: None)
        if self.state == "checking" and now - self._check_started > DIAL_TONE_WAIT:
            self._checked(False)
        if self.state == "ringing" and self._offer_at is not None and now >= self._offer_at:
            self._offer()
        if self.state == "ringing" and now - self._last_ring > RING_GONE:
            log.info("%s: the ringing stopped", self.name)
            if self._offered and self.in_call:
                self.events.append(Ended("abandoned"))
            self.in_call = False
            self._idle()
        if self.state == "talking" and self.direction in ("both", "tx", "rx"):
            self._transmit(now)

    # --- commands ------------------------------------------------------------------------------------

    def _send(self, command: str, done: Callable[[str, list[str]], None], timeout: float = COMMAND_TIMEOUT) -> None:
        if self._command is None:
            self._start(command, done, timeout)
        else:
            self._queue.append((command, done, timeout))

    def _start(self, command: str, done, timeout: float) -> None:
        self._command = (command, done, self.now + timeout)
        self._info = []
        if command:                    # "" waits for a result without a command (the end of voice data)
            self.output += command.encode("ascii") + b"\r"

    def _line(self, text: str) -> None:
        upper = text.upper()
        if upper.startswith("AT"):
            return                                    # our own command echoed (before ATE0)
        if upper == "RING":
            self._ring()
            return
        field = v253.caller_id_field(text)
        if field is not None:
            self._caller_id(*field)
            return
        if self._command is None:
            if upper in ("NO CARRIER", "BUSY") and self.state == "talking":
                self._far_end_gone(upper.lower().replace(" ", "-"))
            else:
                log.debug("%s: unsolicited %r", self.name, text[:80])
            return
        if upper in v253.FINAL_RESULTS or upper.startswith("+CME ERROR"):
            command, done, _ = self._command
            info, self._command = self._info, None
            done(upper, info)
            if self._command is None and self._queue:
                self._start(*self._queue.pop(0))
        else:
            self._info.append(text)

    # --- initialisation ------------------------------------------------------------------------------

    def _init_steps(self) -> None:
        def required(what):
            def check(result, info):
                if result != "OK":
                    self.link_lost(f"{what}: {result}")
            return check

        self._send("AT", required("AT"))
        self._send("ATE0V1Q0", required("ATE0V1Q0"))
        self._send("AT+FCLASS=8", required("voice mode"))
        self._send("AT+VSM=?", self._formats)

    def _formats(self, result: str, info: list[str]) -> None:
        if result != "OK":
            self.link_lost(f"AT+VSM=? {result}")
            return
        formats = [f for f in (v253.parse_vsm_entry(line) for line in info) if f is not None]
        chosen = v253.choose_format(formats)
        if chosen is None:
            self.link_lost(f"no voice format the box can carry among {[f.name for f in formats]}")
            return
        self.format, self.codec = chosen, chosen.codec
        self._decode = voice_formats.Decoder(chosen.codec)
        log.info("%s: voice format %d %r (%s)", self.name, chosen.cml, chosen.name, chosen.codec)

        def caller_id(result, info):
            if result != "OK":
                self._send("AT#CID=1", lambda r, i: None)
        self._send(f"AT+VSM={chosen.cml},{RATE}", self._format_set)
        self._send("AT+VCID=1", caller_id)
        self._send("AT+IFC=2,2", lambda r, i: r == "OK" or log.info("%s: no hardware flow control", self.name))
        self._send("AT+VTR=?", self._duplex)

    def _format_set(self, result: str, info: list[str]) -> None:
        if result != "OK":
            self.link_lost(f"AT+VSM={self.format.cml}: {result}")

    def _duplex(self, result: str, info: list[str]) -> None:
        self.full_duplex = result == "OK"
        self._send("AT+VLS=0", self._ready)

    def _ready(self, result: str, info: list[str]) -> None:
        if self.state == "down":
            return
        self._idle()
        self.events.append(LineUp(self.codec, self.full_duplex))
        log.info("%s: line up (%s, %s duplex)", self.name, self.codec, "full" if self.full_duplex else "half")

    def _idle(self) -> None:
        self.state, self.direction, self._probed = "idle", "", self.now
        self._caller, self._rings, self._offered, self._offer_at = {}, 0, False, None

    # --- ringing and caller ID -----------------------------------------------------------------------

    def _ring(self) -> None:
        if self.state not in ("idle", "ringing"):
            return
        self.state, self._last_ring = "ringing", self.now
        self._rings += 1
        if not self._offered and self._rings >= RING_OFFER:
            self._offer()

    def _caller_id(self, key: str, value: str) -> None:
        if self.state not in ("idle", "ringing"):
            return
        self._caller[key] = value
        if key == "number" and not self._offered:
            if self.state == "idle":           # caller ID before the first ring (ETSI): the ring follows
                self.state, self._last_ring = "ringing", self.now
            self._offer_at = self.now + CALLER_ID_SETTLE

    def _offer(self) -> None:
        self._offer_at = None
        if self._offered:
            return
        self._offered, self.in_call = True, True
        name = "".join(ch for ch in self._caller.get("name", "") if ch.isprintable())[:64]
        self.events.append(CallOffered(v253.caller_number(self._caller.get("number", "")), name))

    # --- answering, dialling, voice ------------------------------------------------------------------

    def _off_hook_for_answer(self) -> None:
        if self.answer_with_ata:
            self._send("ATA", self._answered)
        else:
            self._send("AT+VLS=1", self._vls_answered)

    def _vls_answered(self, result: str, info: list[str]) -> None:
        if result == "ERROR" and not self.answer_with_ata:
            log.info("%s: AT+VLS=1 refused, answering with ATA (Rockwell style)", self.name)
            self.answer_with_ata = True
            self._send("ATA", self._answered)
            return
        self._answered(result, info)

    def _answered(self, result: str, info: list[str]) -> None:
        if self.state != "answering":
            return
        if result in ("VCON", "OK"):
            self._start_voice()
        else:
            self.in_call = False
            self.events.append(Ended("answer-failed"))
            self._on_hook()

    def _dialled(self, result: str, info: list[str]) -> None:
        if self.state != "dialling":
            return
        if result in ("VCON", "OK", "CONNECT"):
            self._start_voice()
            return
        cause = {"BUSY": "busy", "NO ANSWER": "no-answer", "NO DIALTONE": "no-dialtone",
                 "NO DIAL TONE": "no-dialtone", "NO CARRIER": "no-answer"}.get(result, "failed")
        self.in_call = False
        self.events.append(Ended(cause))
        self._on_hook()

    def _start_voice(self) -> None:
        self.state = "connecting"
        self.events.append(Answered())
        self._voice_command("AT+VTR" if self.full_duplex else "AT+VRX",
                            "both" if self.full_duplex else "rx")

    def _voice_command(self, command: str, direction: str) -> None:
        def connected(result, info):
            if not self.in_call:
                if result == "CONNECT":         # hung up meanwhile: leave the voice data at once
                    self.decoder.voice = True
                    self.output += b"\x10!\x10\x03"
                    self._queue.insert(0, ("", lambda r, i: None, COMMAND_TIMEOUT))
                return
            if result != "CONNECT":
                self._release("voice-refused")
                return
            # voice data follows CONNECT at once, maybe in the same chunk: the decoder reads it as
            # such from the next byte on (StreamDecoder yields item by item). While only the box
            # sends (+VTX) the modem sends no data, only <DLE> events, and ends with a plain result
            # (no <DLE><ETX>): its stream stays in command state.
            self.decoder.voice = direction != "tx"
            self.state, self.direction, self._switching = "talking", direction, False
            self._tx_start, self._tx_sent, self._box_quiet_since = self.now, 0, self.now
        self._send(command, connected)

    def _transmit(self, now: float) -> None:
        """Sends the audio due by the clock (plus TX_LEAD), asked of the media as PCM."""
        due = int((now - self._tx_start + TX_LEAD) * RATE) - self._tx_sent
        if due > TX_MAX_BEHIND * RATE:        # held up: start again from now rather than burst
            self._tx_start, self._tx_sent = now, 0
            due = int(TX_LEAD * RATE)
        if due < 80 or self._switching:
            return
        pcm = self.say(due)
        self._tx_sent += due
        if self.backlog > TX_BACKLOG:            # the modem holds CTS low: sent late is worse than lost
            self.counts["dropped_tx_samples"] += due
            return
        if self.direction == "rx":
            if self._speaks(pcm):
                self._switch("tx")
            return
        if self.direction == "tx":
            if self._speaks(pcm):
                self._box_quiet_since = now
            elif now - self._box_quiet_since > HALF_DUPLEX_QUIET:
                self._switch("rx")
                return
        self.output += v253.shield(voice_formats.encode(self.codec, pcm))

    @staticmethod
    def _speaks(pcm: bytes) -> bool:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        return bool(samples.size) and float(np.sqrt(np.mean(samples * samples))) > SPEECH_LEVEL

    def _switch(self, to: str) -> None:
        """Half duplex: end this direction's voice data, then start the other's."""
        self._switching = True
        self.output += b"\x10\x03" if self.direction == "tx" else b"\x10!"
        self.direction = ""

        def ended(result, info):
            if self.in_call and self.state == "talking":
                self._voice_command("AT+VTX" if to == "tx" else "AT+VRX", to)
        self._send("", ended)          # waits for the VCON/OK that closes the voice data
        self._box_quiet_since = self.now

    # --- the end of a call ---------------------------------------------------------------------------

    def _event(self, event: Event) -> None:
        if event.name == "unknown":
            self.counts["unknown_events"] += 1
            log.debug("%s: unknown DLE code %s", self.name, event.key)
            return
        if event.name == "dial-tone" and self.state == "checking":
            self._checked(True)
        elif event.name == "ring":
            self._ring()
        elif event.name == "dtmf":
            if self.state == "talking":
                self.events.append(Key(event.key))
        elif event.name == "end-of-data":
            self.direction = ""
        elif event.name in v253.HANG_UP_EVENTS and self.in_call and self.state in ("talking", "connecting"):
            self._far_end_gone(event.name)

    def _far_end_gone(self, cause: str) -> None:
        log.info("%s: the far end hung up (%s)", self.name, cause)
        self.in_call = False
        self.events.append(Ended(cause))
        self._release(cause)

    def _release(self, cause: str) -> None:
        """Leaves voice data (if in it) and goes on hook."""
        self._queue = []
        if self.decoder.voice or self.direction:
            self.output += b"\x10!\x10\x03"          # abort receiving, end transmitting (V.253 10.1)
            self.direction = ""
            self._command = None
            self._send("", lambda r, i: None)         # the VCON/OK after the data ends
        self._on_hook()

    def _on_hook(self) -> None:
        self.state = "hanging-up"

        def done(result, info):
            if result != "OK" and not self.answer_with_ata:
                self._send("ATH0", lambda r, i: self._idle())
                return
            self._idle()
        self._send("ATH0" if self.answer_with_ata else "AT+VLS=0", done)
