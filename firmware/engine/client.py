"""Talking to the engine over its unix socket: newline-delimited JSON.

Request  {"id": 1, "cmd": "status", "args": {...}}
Reply    {"id": 1, "ok": true, "result": {...}}  or  {"id": 1, "ok": false, "error": "message"}
`subscribe` turns the connection into a stream of {"event": "status", "status": {...}} lines,
one at once and one after every change the engine makes.

Commands: status; agent_login {agent_id, queue_ids}; agent_logout {agent_id}; reload (config changed);
agent_pause {agent_id, reason}; agent_unpause {agent_id}; wrapup_end {agent_id};
wrapup_extend {agent_id, seconds} (each answers {agent_id, state, pause_reason});
callback_note / callback_requeue / callback_cancel {call_id, text, author, agent_id or null};
callback_call_now {call_id, agent_id, author}; monitor; conference_create / conference_add /
conference_remove / conference_close; media_stats {reset}; trunks (each with its last registration answer).
"""

from __future__ import annotations

import itertools
import json
import socket
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from firmware import paths


class EngineUnavailable(ConnectionError):
    """The engine is not running or did not answer."""


class EngineError(RuntimeError):
    """The engine answered with an error."""


_ids = itertools.count(1)


class EngineClient:
    def __init__(self, socket_path: Path | str | None = None, timeout: float = 5.0):
        self.socket_path = str(socket_path or paths.engine_socket_path())
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError as exc:
            sock.close()
            raise EngineUnavailable(f"engine socket {self.socket_path}: {exc.strerror or exc}") from exc
        return sock

    def request(self, cmd: str, **args: Any) -> Any:
        request_id = next(_ids)
        with self._connect() as sock:
            sock.sendall(json.dumps({"id": request_id, "cmd": cmd, "args": args}).encode() + b"\n")
            try:
                reply = json.loads(_read_line(sock))
            except (OSError, ValueError) as exc:
                raise EngineUnavailable(f"engine did not answer {cmd}: {exc}") from exc
        if not reply.get("ok"):
            raise EngineError(reply.get("error", "engine error"))
        return reply.get("result")

    def subscribe(self, idle_timeout: float | None = None) -> Iterator[dict]:
        """Yields status events until the engine goes away; with idle_timeout, yields
        {"event": "idle"} when nothing came for that long (lets an SSE stream send keep-alives)."""
        sock = self._connect()
        sock.settimeout(idle_timeout)
        try:
            sock.sendall(json.dumps({"id": next(_ids), "cmd": "subscribe", "args": {}}).encode() + b"\n")
            buffer = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    yield {"event": "idle"}
                    continue
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        finally:
            sock.close()


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
