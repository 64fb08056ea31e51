"""The engine's side of its unix socket (see client.py for the protocol), polled from the event loop.

Non-blocking and single-threaded on purpose: commands run in the same thread as pjsua2, so they can
touch calls and the ACD without locks.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import socket
from pathlib import Path
from typing import Any
from collections.abc import Callable

log = logging.getLogger(__name__)

Handler = Callable[[dict], Any]

_MAX_LINE = 64 * 1024


class CommandError(Exception):
    """A command refused with a message for the client."""


class _Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.inbox = b""
        self.outbox = b""
        self.subscribed = False


class ControlServer:
    def __init__(self, path: Path, handlers: dict[str, Handler], snapshot: Callable[[], dict]):
        self.path = path
        self.handlers = handlers
        self.snapshot = snapshot
        self.selector = selectors.DefaultSelector()
        self.connections: dict[int, _Connection] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        os.chmod(path, 0o660)
        self.listener.listen(32)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ)

    def poll(self, timeout: float = 0.0) -> None:
        for key, _events in self.selector.select(timeout):
            if key.fileobj is self.listener:
                self._accept()
            else:
                self._read(self.connections[key.fileobj.fileno()])
        self._flush_all()

    def publish(self) -> None:
        """Sends the current status to every subscriber."""
        subscribers = [c for c in self.connections.values() if c.subscribed]
        if not subscribers:
            return
        line = json.dumps({"event": "status", "status": self.snapshot()}).encode() + b"\n"
        for conn in subscribers:
            if len(conn.outbox) > 1024 * 1024:   # a reader that stopped reading is dropped, not buffered forever
                self._close(conn)
                continue
            conn.outbox += line

    def close(self) -> None:
        for conn in list(self.connections.values()):
            self._close(conn)
        self.selector.unregister(self.listener)
        self.listener.close()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        self.connections[sock.fileno()] = _Connection(sock)
        self.selector.register(sock, selectors.EVENT_READ)

    def _read(self, conn: _Connection) -> None:
        try:
            chunk = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close(conn)
            return
        conn.inbox += chunk
        if len(conn.inbox) > _MAX_LINE and b"\n" not in conn.inbox:
            self._reply(conn, None, error="request too long")
            conn.inbox = b""
            return
        while b"\n" in conn.inbox:
            line, conn.inbox = conn.inbox.split(b"\n", 1)
            if line.strip():
                self._dispatch(conn, line)

    def _dispatch(self, conn: _Connection, line: bytes) -> None:
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("request must be a JSON object")
        except ValueError as exc:
            self._reply(conn, None, error=f"bad request: {exc}")
            return
        request_id, cmd, args = request.get("id"), request.get("cmd"), request.get("args") or {}
        if cmd == "subscribe":
            conn.subscribed = True
            conn.outbox += json.dumps({"event": "status", "status": self.snapshot()}).encode() + b"\n"
            return
        handler = self.handlers.get(cmd)
        if handler is None:
            self._reply(conn, request_id, error=f"unknown command {cmd!r}")
            return
        try:
            self._reply(conn, request_id, result=handler(args))
        except CommandError as exc:
            self._reply(conn, request_id, error=str(exc))
        except Exception as exc:  # a broken command must not take the engine down
            log.exception("command %s failed", cmd)
            self._reply(conn, request_id, error=f"{cmd} failed: {exc}")

    def _reply(self, conn: _Connection, request_id, result=None, error: str | None = None) -> None:
        reply = {"id": request_id, "ok": error is None}
        if error is None:
            reply["result"] = result
        else:
            reply["error"] = error
        conn.outbox += json.dumps(reply).encode() + b"\n"

    def _flush_all(self) -> None:
        for conn in list(self.connections.values()):
            if not conn.outbox:
                continue
            try:
                sent = conn.sock.send(conn.outbox)
                conn.outbox = conn.outbox[sent:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._close(conn)

    def _close(self, conn: _Connection) -> None:
        self.connections.pop(conn.sock.fileno(), None)
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
