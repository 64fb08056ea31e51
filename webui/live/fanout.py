"""One subscription to the engine's live status per web process, shared by every open stream.

A reader thread (a greenlet under gunicorn's gevent worker, whose monkey-patching turns `threading`
cooperative) keeps the engine's latest status and a version number; each stream waits on the
condition for a newer version than the one it sent, so 200 open streams cost the engine one
subscriber per process, not 200, and what is derived from a status (a rendered board, the
wallboard's figures) is computed once per version and shared through `derived`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from firmware import live_status
from firmware.engine.client import EngineClient, EngineUnavailable

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0          # after the engine went away, the reader tries again this much later


class Fanout:
    def __init__(self, socket_path: str, idle_seconds: float):
        self.socket_path = socket_path
        self.idle_seconds = idle_seconds
        self.changed = threading.Condition()
        self.version = 0
        self.status: dict | None = None
        self.problem: str | None = "engine not running"
        self._derived: dict[Any, tuple[int, Any]] = {}
        self._deriving = threading.Lock()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        with self.changed:
            if self._reader is None or not self._reader.is_alive():
                self._reader = threading.Thread(target=self._read, name="live-fanout", daemon=True)
                self._reader.start()

    def _publish(self, status: dict | None, problem: str | None) -> None:
        with self.changed:
            self.status, self.problem = status, problem
            self.version += 1
            self.changed.notify_all()

    def _read(self) -> None:
        """Reads until the engine goes away, then ends: the next stream that waits starts it again
        (at most once a second), so a box whose engine is down holds no thread retrying for nobody."""
        started = time.monotonic()
        try:
            for event in EngineClient(self.socket_path).subscribe(idle_timeout=self.idle_seconds):
                if event.get("event") == "status":
                    try:
                        self._publish(live_status.checked(event.get("status") or {}), None)
                    except ValueError as exc:
                        log.error("the engine's status does not fit its shape: %s", exc)
        except (EngineUnavailable, OSError, ValueError):
            pass
        if self.status is not None or self.version == 0:
            self._publish(None, "engine not running")
        time.sleep(max(0.0, RETRY_SECONDS - (time.monotonic() - started)))

    def wait(self, seen: int, timeout: float) -> int:
        """The version after `seen` (at once when there is one), or `seen` after `timeout` without."""
        self.start()
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def derived(self, key: Any, make: Callable[[dict | None, str | None], Any]) -> Any:
        """What `make` derives from the current status, made once per version and key (the streams
        that ask meanwhile wait for it rather than make it too)."""
        with self._deriving:
            with self.changed:
                version, status, problem = self.version, self.status, self.problem
            cached = self._derived.get(key)
            if cached is not None and cached[0] == version:
                return cached[1]
            value = make(status, problem)
            self._derived[key] = (version, value)
            return value


_fanouts: dict[str, Fanout] = {}
_lock = threading.Lock()


def fanout(socket_path: str, idle_seconds: float) -> Fanout:
    """The process's fan-out for this engine socket."""
    with _lock:
        found = _fanouts.get(socket_path)
        if found is None:
            found = _fanouts[socket_path] = Fanout(socket_path, idle_seconds)
        return found
