"""A V.253 voice modem on an analog line, simulated behind a real pseudo-terminal.

The box's driver opens the pty's slave by a stable name (a symlink, as udev's /dev/serial/by-id/...
names a USB modem) exactly as it opens a real modem. The simulator is the modem and the exchange at
once: it answers AT commands in one of three vendors' dialects, rings with caller ID, carries voice
both ways (a tone or silence from the "caller", what the box sends kept and measurable), reports
keys, a loop break or a polarity reversal, dials out, and can be unplugged (the pty closed, the name
gone), plugged back (a new pty under the same name) or made to stop answering. `callbox card-sim fxo`
runs it for an installer; the tests drive it directly.
"""

from __future__ import annotations

import logging
import os
import pty
import re
import select
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.cards import v253, voice_formats

log = logging.getLogger(__name__)

RATE = 8000


@dataclass(frozen=True)
class Dialect:
    name: str
    formats: tuple[str, ...]          # the `AT+VSM=?` lines, numbered and named the vendor's way
    caller_id: str                    # how a number is reported: "{key} = {value}", "{key}={value}", "CALLER ..."
    full_duplex: bool                 # has AT+VTR
    vls_answer: bool                  # AT+VLS=1 answers a ringing line (else ATA: Rockwell)
    vcid: bool                        # AT+VCID=1 (else AT#CID=1)
    ring_event: bool                  # rings reported as <DLE>R (else the RING result)


# Modelled after the vendors' V.253 voice modems; the numbers are theirs to choose, the box goes by name.
DIALECTS = {
    "conexant": Dialect(
        "conexant",
        ('+VSM: 0,"SIGNED PCM",8,0,(7200,8000,11025),(0),(0)',
         '+VSM: 1,"UNSIGNED PCM",8,0,(7200,8000,11025),(0),(0)',
         '+VSM: 4,"G711U",8,0,(8000),(0),(0)',
         '+VSM: 5,"G711A",8,0,(8000),(0),(0)',
         '+VSM: 129,"IMA ADPCM",4,0,(7200,8000,11025),(0),(0)'),
        "{key} = {value}", full_duplex=True, vls_answer=True, vcid=True, ring_event=True),
    "usr": Dialect(
        "usr",
        ('128,"8-BIT LINEAR",8,0,(8000),(0),(0)',
         '129,"16-BIT LINEAR",16,0,(8000),(0),(0)',
         '130,"8-BIT ALAW",8,0,(8000),(0),(0)',
         '131,"8-BIT ULAW",8,0,(8000),(0),(0)',
         '132,"IMA ADPCM",4,0,(8000),(0),(0)'),
        "{key}={value}", full_duplex=False, vls_answer=True, vcid=True, ring_event=False),
    "rockwell": Dialect(
        "rockwell",
        ('0,"PCM8",8,0,(7200-11025),(0),(0)',
         '128,"ADPCM2",2,0,(7200),(0),(0)',
         '129,"ADPCM4",4,0,(7200),(0),(0)',
         '130,"LIN8",8,0,(7200-11025),(0),(0)',
         '131,"ALAW",8,0,(8000),(0),(0)',
         '132,"ULAW",8,0,(8000),(0),(0)'),
        "CALLER {key}: {value}", full_duplex=True, vls_answer=False, vcid=False, ring_event=False),
}


def _codecs_by_cml(dialect: Dialect) -> dict[int, str | None]:
    entries = [v253.parse_vsm_entry(line) for line in dialect.formats]
    return {e.cml: e.codec for e in entries if e is not None}


class ModemSimulator:
    def __init__(self, link: str | Path, dialect: str = "conexant", burst: float = 0.06, ring_interval: float = 1.0):
        self.link = Path(link)
        self.dialect = DIALECTS[dialect]
        self.codecs = _codecs_by_cml(self.dialect)
        self.burst = burst                  # audio leaves in bursts this long (a serial link's habit)
        self.ring_interval = ring_interval
        self.lock = threading.RLock()
        self.master: int | None = None
        self.running = False
        self.thread: threading.Thread | None = None
        # what the tests read
        self.commands: list[str] = []
        self.dialled: list[str] = []
        self.heard = bytearray()            # PCM the box sent while off hook (the last 30 s)
        self.answered_at: float | None = None
        self.dial_answer: str | None = "VCON"    # what an ATD gets: VCON (answered), BUSY, NO ANSWER...
        self.dial_delay = 0.3
        self.dial_tone = True               # the exchange gives dial tone to a line taken off hook
        self.silent = False                 # stopped answering
        self._power_on()

    # --- life ---------------------------------------------------------------------------------------

    def start(self) -> ModemSimulator:
        self.plug()
        self.running = True
        self.thread = threading.Thread(target=self._run, name=f"modem-sim {self.link.name}", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.running = False
        if self.thread is not None:
            self.thread.join(2)
        self.unplug()

    def plug(self) -> None:
        """A new pty under the link's name (a USB modem plugged in: same name, new device)."""
        with self.lock:
            master, slave = pty.openpty()
            tty.setraw(master)
            # non-blocking: select reports the hang-up of a pty nobody has opened yet as readable,
            # and once the box opens it that read would wait for the box's next command
            os.set_blocking(master, False)
            slave_path = os.ttyname(slave)
            os.close(slave)
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(slave_path)
            tmp.replace(self.link)
            self.master = master
            self._power_on()

    def unplug(self) -> None:
        """The pty closes and its name goes: the box's reads fail as with a USB modem pulled out."""
        with self.lock:
            self.link.unlink(missing_ok=True)
            if self.master is not None:
                os.close(self.master)
                self.master = None

    def _power_on(self) -> None:
        self.state = "command"              # command | voice
        self.off_hook = False
        self.voice_tx = False               # the modem sends audio (VRX, VTR)
        self.voice_rx = False               # the modem takes audio (VTX, VTR)
        self.codec = "ulaw"
        self.verbose_echo = True
        self.ringing = 0                    # rings left
        self.caller: tuple[str, str] | None = None
        self._next_ring = 0.0
        self._text = bytearray()
        self._dle = False
        self._tone: tuple[float, float] | None = None   # (frequency, amplitude) the caller sends
        self._phase = 0.0
        self._sent_until = 0.0
        self._dial_at: float | None = None
        self._dial_tone_at: float | None = None
        self._outbox = bytearray()

    # --- what a test or the installer does ---------------------------------------------------------

    def ring(self, number: str = "", name: str = "", rings: int = 10) -> None:
        """The exchange rings the line: RING, the caller ID between the first and second ring."""
        with self.lock:
            self.ringing, self.caller = rings, (number, name)
            self._next_ring = 0.0

    def tone(self, frequency: float | None, level: float = 8000.0) -> None:
        """What the far end says: a sine of `frequency` Hz (None: silence)."""
        with self.lock:
            self._tone = None if frequency is None else (frequency, level)

    def loop_break(self) -> None:
        """The far end hung up and the exchange broke the loop current."""
        self._line_event(b"\x10l")

    def polarity_reversal(self) -> None:
        self._line_event(b"\x10L")

    def press(self, digits: str) -> None:
        with self.lock:
            for digit in digits:
                self._outbox += b"\x10/\x10" + digit.encode() + b"\x10~"

    def send_raw(self, data: bytes) -> None:
        """Any bytes at all, as a broken modem or a noisy line would send them."""
        with self.lock:
            self._outbox += data

    def heard_frequency(self, seconds: float = 0.5) -> tuple[float, float]:
        """The strongest frequency of the last `seconds` the box sent, and its RMS level."""
        with self.lock:
            pcm = bytes(self.heard[-int(seconds * RATE) * 2:])
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if samples.size < 256:
            return 0.0, 0.0
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
        peak = int(np.argmax(spectrum[1:]) + 1)
        return peak * RATE / samples.size, float(np.sqrt(np.mean(samples ** 2)))

    def _line_event(self, code: bytes) -> None:
        with self.lock:
            if not self.off_hook:
                return
            self._outbox += code
            self._release_line()

    def _release_line(self) -> None:
        """The exchange released the call: the modem stays in its state until the host acts, but no
        more audio comes from the line."""
        self._tone = None
        self.answered_at = None

    # --- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        while self.running:
            master = self.master
            if master is None:
                time.sleep(0.02)
                continue
            try:
                readable, _, _ = select.select([master], [], [], 0.005)
                if readable:
                    try:
                        data = os.read(master, 4096)
                    except BlockingIOError:
                        data = b""
                    if data and not self.silent:
                        with self.lock:
                            self._receive(data)
            except OSError:
                time.sleep(0.02)               # no one has the port open (the box reconnects)
                continue
            with self.lock:
                if self.master is master:
                    self._clock(time.monotonic())
                    self._flush(master)

    def _flush(self, master: int) -> None:
        if self._outbox and not self.silent:
            try:
                written = os.write(master, bytes(self._outbox))
                del self._outbox[:written]
            except OSError:             # full (the box reads slowly: the rest goes later) or closed
                pass
        elif self.silent:
            self._outbox.clear()

    def _reply(self, text: str) -> None:
        self._outbox += b"\r\n" + text.encode("ascii") + b"\r\n"

    def _clock(self, now: float) -> None:
        if self.ringing and now >= self._next_ring and not self.off_hook:
            self._outbox += b"\x10R" if self.dialect.ring_event else b"\r\nRING\r\n"
            if self.caller is not None:
                number, name = self.caller
                style = self.dialect.caller_id
                for key, value in (("DATE", time.strftime("%m%d")), ("TIME", time.strftime("%H%M")),
                                   ("NMBR", number or "P"), ("NAME", name)):
                    if key == "NAME" and not value:
                        continue
                    if style.startswith("CALLER"):
                        if key not in ("NMBR", "NAME"):
                            continue
                        key = "NUMBER" if key == "NMBR" else "NAME"
                    self._reply(style.format(key=key, value=value))
                self.caller = None
            self.ringing -= 1
            self._next_ring = now + self.ring_interval
        if self._dial_tone_at is not None and now >= self._dial_tone_at:
            self._dial_tone_at = None
            if self.off_hook and self.dial_tone:
                self._outbox += b"\x10d"
        if self._dial_at is not None and now >= self._dial_at:
            self._dial_at = None
            self._reply(self.dial_answer or "NO ANSWER")
            if self.dial_answer in ("VCON", "OK"):
                self.answered_at = now
            else:
                self.off_hook = False
        if self.state == "voice" and self.voice_tx:
            if now - self._sent_until >= self.burst or self._sent_until == 0.0:
                if self._sent_until == 0.0 or now - self._sent_until > 1.0:
                    self._sent_until = now - 0.02
                samples = int((now - self._sent_until) * RATE)
                self._sent_until += samples / RATE
                self._outbox += v253.shield(voice_formats.encode(self.codec, self._line_audio(samples)))

    def _line_audio(self, samples: int) -> bytes:
        if self._tone is None or samples <= 0:
            return b"\0\0" * max(samples, 0)
        frequency, level = self._tone
        t = self._phase + np.arange(samples) * (2 * np.pi * frequency / RATE)
        self._phase = float((t[-1] + 2 * np.pi * frequency / RATE) % (2 * np.pi)) if samples else self._phase
        return (np.sin(t) * level).astype("<i2").tobytes()

    # --- from the host -----------------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        while data:
            if self.state == "voice":
                data = self._voice_bytes(data)
            else:
                data = self._command_bytes(data)

    def _command_bytes(self, data: bytes) -> bytes:
        for i, byte in enumerate(data):
            if self._dle:                       # a DLE pair in command state: late end of data, ignored
                self._dle = False
                continue
            if byte == v253.DLE:
                self._dle = True
            elif byte in (0x0D, 0x0A):
                line = self._text.decode("ascii", "replace").strip()
                self._text.clear()
                if line:
                    self._command(line)
                    if self.state == "voice":
                        return data[i + 1:]
            elif len(self._text) < 200:
                self._text.append(byte)
        return b""

    def _voice_bytes(self, data: bytes) -> bytes:
        audio = bytearray()
        for i, byte in enumerate(data):
            if self._dle:
                self._dle = False
                if byte == v253.DLE:
                    audio.append(byte)
                elif byte in (v253.ETX, ord("!")):      # the host ends the voice data
                    self._keep(audio)
                    self._end_voice()
                    return data[i + 1:]
                continue
            if byte == v253.DLE:
                self._dle = True
            else:
                audio.append(byte)
        self._keep(audio)
        return b""

    def _keep(self, audio: bytearray) -> None:
        if audio and self.voice_rx:
            pcm = voice_formats.decode(self.codec, bytes(audio)[: len(audio) - len(audio) % (2 if self.codec == "slin16" else 1)])
            self.heard += pcm
            if len(self.heard) > 30 * RATE * 2:
                del self.heard[: len(self.heard) - 30 * RATE * 2]

    def _end_voice(self) -> None:
        if self.voice_tx:
            self._outbox += b"\x10\x03"
        self.state, self.voice_tx, self.voice_rx = "command", False, False
        self._reply("OK")

    def _command(self, line: str) -> None:
        self.commands.append(line)
        upper = line.upper()
        if not upper.startswith("AT"):
            self._reply("ERROR")
            return
        body = upper[2:]
        d = self.dialect
        if body in ("", "Z", "E0V1Q0", "E0", "V1", "Q0", "+IFC=2,2") or body.startswith(("+VSD", "+VGT", "+VGR", "S")):
            self._reply("OK")
        elif body == "+FCLASS=8":
            self._reply("OK")
        elif body == "+VSM=?":
            for entry in d.formats:
                self._outbox += b"\r\n" + entry.encode() + b"\r\n"
            self._reply("OK")
        elif m := re.fullmatch(r"\+VSM=(\d+),(\d+)", body):
            codec = self.codecs.get(int(m[1]))
            if codec is None or int(m[2]) != RATE:
                self._reply("ERROR")
            else:
                self.codec = codec
                self._reply("OK")
        elif body == "+VCID=1":
            self._reply("OK" if d.vcid else "ERROR")
        elif body == "#CID=1":
            self._reply("OK")
        elif body == "+VTR=?":
            self._reply("OK" if d.full_duplex else "ERROR")
        elif body in ("+VTR", "+VRX", "+VTX"):
            if not self.off_hook or (body == "+VTR" and not d.full_duplex):
                self._reply("ERROR")
                return
            self.voice_tx = body in ("+VTR", "+VRX")
            self.voice_rx = body in ("+VTR", "+VTX")
            self._sent_until = 0.0
            self._reply("CONNECT")
            self.state = "voice"
        elif body in ("+VLS=1", "A", "H1"):
            if body == "+VLS=1" and not d.vls_answer:
                self._reply("ERROR")
                return
            self.off_hook = True
            if self.ringing:
                self.ringing, self.answered_at = 0, time.monotonic()
            else:                           # a line taken without a call: the exchange's dial tone
                self._dial_tone_at = time.monotonic() + 0.2
            self._reply("VCON" if body != "H1" else "OK")
        elif body in ("+VLS=0", "H", "H0"):
            # on hook: a call in progress ends; the exchange's ringing of a new call goes on
            self.off_hook, self.answered_at = False, None
            self._reply("OK")
        elif m := re.fullmatch(r"D([0-9*#+,PTW]{1,40});?", body):
            self.dialled.append(m[1])
            self.off_hook = True
            self._dial_at = time.monotonic() + self.dial_delay
        else:
            self._reply("ERROR")
