"""Commands to the running edge over kamailio's JSON-RPC FIFO (the `jsonrpcs` module).

Why the FIFO and not kamcmd or the datagram socket: kamcmd is a process per command (the engine's
loop waited up to 2 s for one at every reload), its binrpc reply stopped coming for a location
table of 300-400 phones, and a datagram reply is capped at 64 kB. The FIFO streams a reply of
any size, and a command is a few system calls.

How a command goes: the client makes its own reply FIFO in the run directory (the name travels in
the request as `reply_name`; kamailio refuses names with '.', '/' or '\\'), writes one JSON-RPC
request into kamailio's FIFO, and reads the reply until it is one whole JSON document.

    result = call("ul.dump", "brief")        # raises EdgeUnavailable / EdgeError
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import select
import threading
import time
from pathlib import Path

from firmware import paths

RPC_FIFO_NAME = "kamailio_rpc_fifo"
TIMEOUT = 2.0

_request_ids = itertools.count(1)
_lock = threading.Lock()        # for the counter only: every call has its own reply FIFO


class EdgeUnavailable(Exception):
    """The edge is not running, or did not answer in time."""


class EdgeError(Exception):
    """The edge answered with a JSON-RPC error (e.g. an unknown dialog)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message


def fifo_path() -> Path:
    return paths.run_dir() / RPC_FIFO_NAME


def reply_dir() -> Path:
    """Where clients make their reply FIFOs (kamailio's `fifo_reply_dir`)."""
    return paths.run_dir()


def call(method: str, *params, timeout: float = TIMEOUT):
    """The `result` of one JSON-RPC command to the edge."""
    with _lock:
        request_id = next(_request_ids)
    reply_name = f"callbox_rpc_reply_{os.getpid()}_{threading.get_ident()}_{request_id}"
    reply_path = reply_dir() / reply_name
    request = {"jsonrpc": "2.0", "method": method,
               "params": [p if isinstance(p, int) else str(p) for p in params],
               "reply_name": reply_name, "id": request_id}
    os.mkfifo(reply_path, 0o600)
    reader = writer = -1
    try:
        # Our own (idle) writer keeps the FIFO from reading as closed before kamailio opens it.
        reader = os.open(reply_path, os.O_RDONLY | os.O_NONBLOCK)
        writer = os.open(reply_path, os.O_WRONLY | os.O_NONBLOCK)
        _send(json.dumps(request).encode())
        reply = _read_document(reader, time.monotonic() + timeout, method)
    finally:
        for fd in (reader, writer):
            if fd >= 0:
                os.close(fd)
        reply_path.unlink(missing_ok=True)
    if "error" in reply:
        error = reply["error"] or {}
        raise EdgeError(int(error.get("code", 500)), str(error.get("message", "")))
    return reply.get("result")


def _send(data: bytes) -> None:
    try:
        fd = os.open(fifo_path(), os.O_WRONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise EdgeUnavailable(f"no edge FIFO at {fifo_path()}") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:        # a FIFO nobody reads: kamailio is gone
            raise EdgeUnavailable("the edge is not running") from None
        raise EdgeUnavailable(str(exc)) from None
    try:
        os.write(fd, data)      # < PIPE_BUF: written whole, never interleaved with another client's
    except OSError as exc:
        raise EdgeUnavailable(str(exc)) from None
    finally:
        os.close(fd)


def _read_document(fd: int, deadline: float, method: str) -> dict:
    decoder = json.JSONDecoder()
    chunks: list[bytes] = []
    # poll, not select: the engine holds thousands of descriptors with its calls' RTP sockets, and
    # select() refuses one numbered past 1023 (ValueError: the engine's load report failed at 300 calls).
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    while (left := deadline - time.monotonic()) > 0:
        if not waiting.poll(max(1, int(left * 1000))):
            break
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            continue
        chunks.append(data)
        if data.rstrip().endswith(b"}"):
            text = b"".join(chunks).decode("utf-8", errors="replace")
            try:
                document, _ = decoder.raw_decode(text.strip())
            except json.JSONDecodeError:
                continue        # more to come
            if not isinstance(document, dict):
                raise EdgeError(500, f"not a JSON-RPC reply: {text[:80]!r}")
            return document
    raise EdgeUnavailable(f"no reply to {method} within the time limit")
