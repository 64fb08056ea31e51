"""A supervisor event listener that drives the bypass relay and the status LED from the engine's state.

supervisord starts it as `[eventlistener:board]` with `events=PROCESS_STATE`; the protocol
(supervisor's "Event Listeners" chapter) is: the listener writes `READY\\n`; supervisord sends one
header line of `key:value` tokens ending with `len:N`, then N bytes of payload (for process state
events, `key:value` tokens again: processname, groupname, from_state, ...); the listener answers
`RESULT 2\\nOK` and is READY again. The engine leaving RUNNING (a crash, a kill -9, a stop) releases
the relay at once: the analog lines go to the fallback phone while the engine is down.
"""

from __future__ import annotations

import threading
import time
from typing import BinaryIO

from firmware.board.io import Board, LedState

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
    """What the box shows for the engine's state: relay energised and LED ready only while it runs."""

    def __init__(self, board: Board):
        self.board = board
        self.state = LedState.BOOTING
        if board.relay is not None:
            board.relay.release()

    def handle(self, headers: dict[str, str], payload: bytes) -> None:
        event = headers.get("eventname", "")
        if not event.startswith("PROCESS_STATE_"):
            return
        first_line = payload.split(b"\n", 1)[0]
        try:
            if parse_tokens(first_line).get("processname") != ENGINE:
                return
        except (ProtocolError, UnicodeDecodeError):
            return
        if event == ENGINE_UP:
            self.state = LedState.READY
            if self.board.relay is not None:
                self.board.relay.energise()
        else:
            # STOPPING, EXITED, BACKOFF, FATAL, STARTING again...: not carrying calls
            if self.board.relay is not None:
                self.board.relay.release()
            self.state = LedState.FAULT if event != "PROCESS_STATE_STARTING" else LedState.BOOTING


def blink(watch: EngineWatch, stop: threading.Event, period: float = 0.05) -> None:
    while not stop.is_set():
        watch.board.show(watch.state, time.monotonic())
        stop.wait(period)


def run_listener(stdin: BinaryIO, stdout: BinaryIO, board: Board) -> int:
    watch = EngineWatch(board)
    stop = threading.Event()
    blinker = threading.Thread(target=blink, args=(watch, stop), name="led", daemon=True)
    blinker.start()
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
    import os
    import sys
    from pathlib import Path

    from firmware.board.pins import BOARD_CONF, read_pin_map
    from firmware.board.standin import StandInChip

    pins = read_pin_map(Path(os.environ.get("CALLBOX_BOARD_CONF", BOARD_CONF)))
    standin = os.environ.get("CALLBOX_BOARD_STANDIN")
    if standin:
        board = Board(pins, opener=StandInChip(Path(standin)), chip_path="standin")
    else:
        board = Board(pins)
    return run_listener(sys.stdin.buffer, sys.stdout.buffer, board)
