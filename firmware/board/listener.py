"""A supervisor event listener that drives the bypass relay and the status LED from the engine's state.

supervisord starts it as `[eventlistener:board]` with `events=PROCESS_STATE`; the protocol
(supervisor's "Event Listeners" chapter) is: the listener writes `READY\\n`; supervisord sends one
header line of `key:value` tokens ending with `len:N`, then N bytes of payload (for process state
events, `key:value` tokens again: processname, groupname, from_state, ...); the listener answers
`RESULT 2\\nOK` and is READY again. The engine leaving RUNNING (a crash, a kill -9, a stop) releases
the relay at once: the analog lines go to the fallback phone while the engine is down.
"""

from __future__ import annotations

import logging
import os
import shutil
import select
import signal
import subprocess
import socket
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path
from typing import BinaryIO

from firmware import claim, paths
from firmware.board.io import Board, Button, ButtonAction, Debounce, LedState
from firmware.console.system import SUPERVISED
from firmware.console.system import factory_reset as wipe_data

log = logging.getLogger(__name__)

ENGINE = "engine"
MAX_PAYLOAD = 65536
ENGINE_UP = "PROCESS_STATE_RUNNING"


class ProtocolError(ValueError):
    pass


def parse_tokens(line: bytes) -> dict[str, str]:
    """`key:value key:value ...` (the values hold no spaces in supervisor's events)."""
    tokens: dict[str, str] = {}
    for token in line.decode("ascii", errors="strict").split():
        key, sep, value = token.partition(":")
        if not sep or not key:
            raise ProtocolError(f"not a key:value token: {token!r}")
        tokens[key] = value
    return tokens


def read_event(stream: BinaryIO) -> tuple[dict[str, str], bytes] | None:
    """The next event's headers and payload; None at the end of the stream."""
    header = stream.readline(4096)
    if not header:
        return None
    if not header.endswith(b"\n"):
        raise ProtocolError("header line too long or cut short")
    try:
        headers = parse_tokens(header)
    except UnicodeDecodeError as exc:
        raise ProtocolError("header is not ASCII") from exc
    length = headers.get("len", "")
    if not length.isdigit() or int(length) > MAX_PAYLOAD:
        raise ProtocolError(f"bad len: {length!r}")
    payload = stream.read(int(length))
    if len(payload) != int(length):
        raise ProtocolError("payload cut short")
    return headers, payload


class EngineWatch:
    """What the box shows for the engine's state: relay energised and LED ready only while it runs.

    supervisord's events come up to a second late (it hands an event to a listener at its main loop's
    next turn, which waits up to 1 s): so the engine's process is also watched through a pidfd, which
    the kernel makes readable the moment the process ends, and the relay drops on whichever is first.
    """

    def __init__(self, board: Board):
        self.board = board
        self.state = LedState.BOOTING
        self.pid: int | None = None         # the running engine's, while it runs
        self.calls = 0                      # calls in progress, from the engine's published status
        self.lock = threading.Lock()        # events (main thread) and death notices (watcher threads)
        if board.relay is not None:
            board.relay.release()

    def handle(self, headers: dict[str, str], payload: bytes) -> None:
        event = headers.get("eventname", "")
        if not event.startswith("PROCESS_STATE_"):
            return
        first_line = payload.split(b"\n", 1)[0]
        try:
            tokens = parse_tokens(first_line)
        except (ProtocolError, UnicodeDecodeError):
            return
        if tokens.get("processname") != ENGINE:
            return
        with self.lock:
            if event == ENGINE_UP:
                pid = tokens.get("pid", "")
                self.pid = int(pid) if pid.isascii() and pid.isdigit() and 0 < len(pid) <= 10 else None
                self.state = LedState.READY
                if self.board.relay is not None:
                    self.board.relay.energise()
                if self.pid is not None:
                    threading.Thread(target=self._watch_death, args=(self.pid,), name=f"engine-{self.pid}",
                                     daemon=True).start()
            else:
                # STOPPING, EXITED, BACKOFF, FATAL, STARTING again...: not carrying calls
                self.pid = None
                if self.board.relay is not None:
                    self.board.relay.release()
                self.state = LedState.FAULT if event != "PROCESS_STATE_STARTING" else LedState.BOOTING

    def _watch_death(self, pid: int) -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            self.engine_died(pid)
            return
        except OSError as exc:            # an old kernel: supervisord's events alone
            log.warning("cannot watch the engine's process %d: %s", pid, exc)
            return
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll()
        finally:
            os.close(fd)
        self.engine_died(pid)

    def engine_died(self, pid: int) -> None:
        with self.lock:
            if self.pid != pid:           # an event came first, or a newer engine runs
                return
            self.pid = None
            if self.board.relay is not None:
                self.board.relay.release()
            self.state = LedState.FAULT


class _UnixHTTPConnection(HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float):
        super().__init__()
        self.unix_path, self.timeout = path, timeout

    def make_connection(self, host):
        return _UnixHTTPConnection(self.unix_path, self.timeout)


def engine_state_now(url: str | None, timeout: float = 5.0) -> tuple[str, int] | None:
    """The engine's state as supervisord has it now (RUNNING, STARTING, ...), over its XML-RPC
    interface; None if it cannot say. A listener started (or restarted) while the engine already
    runs gets no event for it until the engine changes state. (state, pid)."""
    if not url or not url.startswith("unix://"):
        return None
    proxy = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=_UnixTransport(url[len("unix://"):], timeout))
    try:
        info = proxy.supervisor.getProcessInfo(ENGINE)
    except (OSError, xmlrpc.client.Error) as exc:
        log.warning("the engine's state cannot be asked of supervisord: %s", exc)
        return None
    if not isinstance(info, dict):
        return None
    state, pid = info.get("statename"), info.get("pid")
    if not (isinstance(state, str) and state.isascii() and state.isalpha() and state.isupper()):
        return None
    return state, pid if isinstance(pid, int) and not isinstance(pid, bool) and pid >= 0 else 0


def restart_services() -> None:
    """The button's short press: supervisorctl restarts the box's programs (not this listener), through
    the server URL supervisord gives its children. Not waited for: supervisord sends this listener
    the engine's events meanwhile."""
    supervisorctl = shutil.which("supervisorctl")
    url = os.environ.get("SUPERVISOR_SERVER_URL")
    if supervisorctl is None or not url:
        log.error("button: cannot restart the services (no supervisorctl or SUPERVISOR_SERVER_URL)")
        return
    log.warning("button: restarting %s", " ".join(SUPERVISED))
    subprocess.Popen([supervisorctl, "--serverurl", url, "restart", *SUPERVISED],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def short_press() -> None:
    """The button pressed briefly: someone is at the box, so the web's claim window opens again for
    an hour (firmware/claim.py), and the services restart."""
    claim.record_button_press()
    restart_services()


def factory_reset() -> None:
    """The button held 10 s and released after the LED's confirmation: the console's factory reset
    (the data partition's database, recordings and configuration), then the services restart."""
    log.warning("button: factory reset, removed %s", wipe_data())
    restart_services()


class ButtonWatch:
    """The reset button's line, sampled every tick: debounced, then given its meaning (io.Button)."""

    def __init__(self, board: Board, restart: Callable[[], None] = short_press,
                 reset: Callable[[], None] = factory_reset):
        self.board = board
        self.debounce = Debounce()
        self.button = Button()
        self.restart, self.reset = restart, reset
        self.confirming = False

    def tick(self, now: float) -> None:
        if self.board.button is None:
            return
        action = None
        pressed = self.debounce.sample(bool(self.board.button.read()), now)
        if pressed is True:
            self.button.press(now)
        elif pressed is False:
            action = self.button.release(now)
            self.confirming = False
        else:
            action = self.button.poll(now)
        if action is ButtonAction.CONFIRM:
            self.confirming = True
        elif action is ButtonAction.RESTART:
            self.restart()
        elif action is ButtonAction.FACTORY_RESET:
            self.reset()


def follow_calls(watch: EngineWatch, stop: threading.Event, socket_path: Path, retry: float = 1.0) -> None:
    """The engine's count of calls in progress, from the status it publishes on its socket (as the
    web's live views read it), for the LED's call pattern; none while the engine cannot be reached."""
    from firmware.engine.client import EngineClient

    while not stop.is_set():
        try:
            for event in EngineClient(socket_path, timeout=2.0).subscribe(idle_timeout=1.0):
                if stop.is_set():
                    return
                if isinstance(event, dict) and event.get("event") == "status" and isinstance(event.get("status"), dict):
                    calls = event["status"].get("active_calls")
                    watch.calls = calls if isinstance(calls, int) and not isinstance(calls, bool) and calls > 0 else 0
        except (OSError, ValueError):     # not up yet, gone, or a line that is not JSON
            pass
        watch.calls = 0
        stop.wait(retry)


def led_state(watch: EngineWatch, button: ButtonWatch) -> LedState:
    if button.confirming:
        return LedState.CONFIRM
    if watch.state is LedState.READY and watch.calls > 0:
        return LedState.CALL
    return watch.state


def blink(watch: EngineWatch, stop: threading.Event, period: float = 0.02,
          button: ButtonWatch | None = None) -> None:
    """The LED's pattern and the button's samples, every `period` (well under the debounce time)."""
    button = button or ButtonWatch(watch.board)
    while not stop.is_set():
        now = time.monotonic()
        try:
            button.tick(now)
        except Exception:         # a failed action must not stop the LED or the relay's listener
            log.exception("button")
        watch.board.show(led_state(watch, button), now)
        stop.wait(period)


def run_listener(stdin: BinaryIO, stdout: BinaryIO, board: Board,
                 initial_state: tuple[str, int] | None = None, engine_socket: Path | None = None) -> int:
    watch = EngineWatch(board)
    if initial_state is not None and initial_state[0] == "RUNNING":
        # as its event would have said (any other state: booting, released); the events queued
        # meanwhile follow in order and correct it
        watch.handle({"eventname": ENGINE_UP}, f"processname:{ENGINE} pid:{initial_state[1]}".encode())
    stop = threading.Event()
    blinker = threading.Thread(target=blink, args=(watch, stop), name="led", daemon=True)
    blinker.start()
    if engine_socket is not None:
        threading.Thread(target=follow_calls, args=(watch, stop, engine_socket), name="calls", daemon=True).start()
    try:
        while True:
            stdout.write(b"READY\n")
            stdout.flush()
            event = read_event(stdin)
            if event is None:
                return 0
            watch.handle(*event)
            stdout.write(b"RESULT 2\nOK")
            stdout.flush()
    finally:
        stop.set()
        blinker.join()
        board.close()


def main() -> int:
    """`callbox board`: the pins from /etc/callbox/board.conf (CALLBOX_BOARD_CONF), on the real chip,
    or on a stand-in chip whose levels go to the file CALLBOX_BOARD_STANDIN (development, tests)."""
    import sys

    from firmware.board.pins import BOARD_CONF, read_pin_map
    from firmware.board.standin import StandInChip

    # stopped (supervisorctl stop, the box shutting down): release the relay on the way out. A line
    # whose request ends keeps its last level on most GPIO drivers: without this, an energised relay
    # would stay energised with nobody left to release it when the engine fails.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    pins = read_pin_map(Path(os.environ.get("CALLBOX_BOARD_CONF", BOARD_CONF)))
    standin = os.environ.get("CALLBOX_BOARD_STANDIN")
    if standin:
        board = Board(pins, opener=StandInChip(Path(standin)), chip_path="standin")
    else:
        board = Board(pins)
    return run_listener(sys.stdin.buffer, sys.stdout.buffer, board,
                        initial_state=engine_state_now(os.environ.get("SUPERVISOR_SERVER_URL")),
                        engine_socket=paths.engine_socket_path())
