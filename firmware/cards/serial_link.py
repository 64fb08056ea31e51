"""A card's serial port and the thread that serves it: the only place that reads and writes the port.

Why a thread of its own and not a non-blocking fd on the engine's loop: a voice modem delivers 8000
samples a second and wants as many back, whatever the loop is doing, and the loop's turn can take
tens of milliseconds (an fsync of the group commit, a burst of call set-ups). Read late, a USB modem's
small FIFO overruns; written late, the line hears gaps. So each line's thread reads the port as bytes
arrive (select with a 10 ms tick), runs the driver (pure logic), hands decoded audio straight to the
media (the TDM port's jitter buffer, a C call that takes its own lock and never the engine's), writes
what the driver queued with non-blocking writes (hardware flow control, pyserial `rtscts`: while the
modem holds CTS low the kernel takes nothing, the rest waits in `pending`, and the driver sends no new audio
while that backlog is long: late audio is dropped, not queued) and passes events to the engine through a deque, which the loop drains each
turn (`take_events`). The loop never touches the port: its requests (answer, dial, hang up) go the
other way through a deque and a wake-up pipe.

A port that fails (a USB modem unplugged: the read raises, the device name disappears) or a modem
that stops answering (the driver's command timeout) is closed and opened again every
REOPEN_INTERVAL seconds; the driver initialises the modem anew each time.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable

import serial

from firmware.cards.v253_driver import LineDown, V253Driver

log = logging.getLogger(__name__)

TICK = 0.01
REOPEN_INTERVAL = 0.5
BAUD = 115200


class SerialLine:
    """One modem line: its port, its driver and its thread."""

    def __init__(self, device: str, driver: V253Driver, on_event: Callable[[], None] | None = None):
        self.device = device
        self.driver = driver
        self.on_event = on_event               # called (in this thread) when events wait for the loop
        self.events: deque = deque()
        self.requests: deque = deque()
        self.port: serial.Serial | None = None
        self.pending = bytearray()
        self.running = False
        self.thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self.counts = {"opened": 0, "lost": 0, "dropped_tx": 0, "read_bytes": 0, "written_bytes": 0}
        self.busy_seconds = 0.0               # CPU time of this line's thread (the bench's figure)

    # --- from the engine's loop ----------------------------------------------------------------------

    def start(self) -> None:
        self.running = True
        self.thread = threading.Thread(target=self._run, name=f"line {self.device}", daemon=True)
        self.thread.start()

    def stop(self, settle: float = 1.0) -> None:
        """Stops the thread; a line in a call is first given `settle` seconds to go on hook (the
        engine hung its legs up just before)."""
        self.stopping_by = time.monotonic() + settle
        self._wake()
        while self.thread is not None and self.thread.is_alive() and time.monotonic() < self.stopping_by \
                and (self.requests or self.driver.state in ("talking", "connecting", "hanging-up", "answering",
                                                             "dialling")):
            time.sleep(0.01)
        self.running = False
        self._wake()
        if self.thread is not None:
            self.thread.join(2)
        self._close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def request(self, name: str, *args) -> None:
        """answer, dial(number), hang_up: applied by the line's thread at once."""
        self.requests.append((name, args))
        self._wake()

    def take_events(self) -> list:
        taken = []
        while self.events:
            taken.append(self.events.popleft())
        return taken

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # --- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        next_open = 0.0
        while self.running:
            now = time.monotonic()
            if self.port is None:
                if now >= next_open:
                    next_open = now + REOPEN_INTERVAL
                    self._open(now)
                if self.port is None:
                    self._apply_requests()
                    self._pass_events()
                    self._sleep(min(TICK * 5, max(0.0, next_open - now)))
                    continue
            started = time.thread_time()
            try:
                self._serve()
            except (serial.SerialException, OSError) as exc:
                self._lost(f"port failed: {exc}")
                next_open = time.monotonic() + REOPEN_INTERVAL
            except Exception:
                # a bug must not kill the line for good: log, drop the link, start again
                log.exception("%s: driver failed", self.device)
                self._lost("driver error")
                next_open = time.monotonic() + REOPEN_INTERVAL
            self.busy_seconds += time.thread_time() - started
            self._pass_events()

    def _sleep(self, seconds: float) -> None:
        readable, _, _ = select.select([self._wake_r], [], [], seconds)
        if readable:
            self._drain_wake()

    def _drain_wake(self) -> None:
        try:
            os.read(self._wake_r, 4096)
        except OSError:
            pass

    def _open(self, now: float) -> None:
        try:
            port = serial.Serial(self.device, BAUD, rtscts=True, timeout=0, write_timeout=0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            log.debug("%s: cannot open: %s", self.device, exc)
            return
        self.port = port
        self.pending.clear()
        self.counts["opened"] += 1
        log.info("%s: port open", self.device)
        self.driver.link_up(now)

    def _serve(self) -> None:
        port = self.port
        readable, _, _ = select.select([port.fd, self._wake_r], [], [], TICK)
        now = time.monotonic()
        if self._wake_r in readable:
            self._drain_wake()
        if port.fd in readable:
            data = port.read(65536)        # raises when the device is gone (EIO on an unplugged USB modem)
            self.counts["read_bytes"] += len(data)
            self.driver.feed(data, now)
        self._apply_requests()
        self.driver.backlog = len(self.pending)     # past V253Driver.TX_BACKLOG it sends no audio
        self.driver.tick(now)
        if self.driver.state == "down":            # the modem stopped answering: reopen it
            self._close()
            return
        self._write()

    def _apply_requests(self) -> None:
        while self.requests:
            name, args = self.requests.popleft()
            if self.port is None or self.driver.state == "down":
                if name == "dial":
                    from firmware.cards.v253_driver import Ended
                    self.events.append(Ended("line-down"))
                continue
            getattr(self.driver, name)(*args)

    def _write(self) -> None:
        if self.driver.output:
            self.pending += self.driver.output
            self.driver.output.clear()
        if self.pending:
            written = self.port.write(bytes(self.pending)) or 0     # non-blocking (write_timeout=0)
            self.counts["written_bytes"] += written
            del self.pending[:written]

    def _pass_events(self) -> None:
        if self.driver.events:
            self.events.extend(self.driver.events)
            self.driver.events.clear()
            if self.on_event is not None:
                self.on_event()

    def _lost(self, reason: str) -> None:
        self.counts["lost"] += 1
        self.driver.link_lost(reason)
        self._close()

    def _close(self) -> None:
        port, self.port = self.port, None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
        if self.driver.state != "down":
            self.driver.link_lost("port closed")

    @property
    def up(self) -> bool:
        return self.port is not None and self.driver.state not in ("down", "init")


__all__ = ["SerialLine", "LineDown"]
