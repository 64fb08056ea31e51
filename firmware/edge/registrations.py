"""Which agent phones are registered at the edge, read from kamailio's location table (`ul.dump`).

The registrar lives in kamailio; the engine only needs to know who can be rung, so that an agent
whose phone unregistered (or whose registration expired) is unavailable rather than rung in vain
(ACD: `phone_registered` / `phone_unregistered`). `RegistrationWatcher` asks every few seconds in
a thread of its own, so that the engine's loop never waits for the edge; the engine's other
commands to the edge (`permissions.addressReload` at a configuration change) run in that thread
too (`submit`), one at a time, between two dumps.

The table is read over JSON-RPC (firmware/edge/rpc.py): kamcmd's binrpc reply is capped ("reply
too big" from 300-400 phones on, and the engine then took every agent for gone); the FIFO carries
the 570 kB of 1,000 phones in about 40 ms.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from firmware.edge import rpc

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
LOCATION_TABLE = "location"


def registered_users(dump) -> set[str]:
    """The AoRs (extensions) of a `ul.dump` result with at least one contact that has not expired.

    The result is kamailio's structure: {"Domains": [{"Domain": {"Domain": "location", "AoRs":
    [{"Info": {"AoR": "1001", "Contacts": [{"Contact": {"Expires": 3598, ...}}]}}]}}]}, where
    Expires is the seconds left, "permanent", "expired" or "deleted". Anything else is skipped."""
    users = set()
    for domain in _items(dump, "Domains"):
        domain = _field(domain, "Domain")
        if _field(domain, "Domain") != LOCATION_TABLE:
            continue
        for record in _items(domain, "AoRs"):
            info = _field(record, "Info")
            aor = _field(info, "AoR")
            if not isinstance(aor, str):
                continue
            for contact in _items(info, "Contacts"):
                expires = _field(_field(contact, "Contact"), "Expires")
                if expires == "permanent" or (type(expires) is int and expires > 0):
                    users.add(aor)
                    break
    return users


def _field(value, name: str):
    return value.get(name) if isinstance(value, dict) else None


def _items(value, name: str) -> list:
    items = _field(value, name)
    return items if isinstance(items, list) else []


def dump_locations(timeout: float = rpc.TIMEOUT):
    """ul.dump's result; None when the edge cannot be asked (not running, busy)."""
    try:
        return rpc.call("ul.dump", timeout=timeout)
    except (rpc.EdgeUnavailable, rpc.EdgeError, OSError) as exc:
        log.debug("registrations not read: %s", exc)
        return None


class RegistrationWatcher(threading.Thread):
    """Keeps `registered` (a frozenset of extensions) and `version` up to date; the engine's loop
    compares the version and applies what changed. While the edge cannot be read, the last
    known state stays: nobody is made unavailable by a hiccup of the edge."""

    def __init__(self, read=dump_locations, interval: float = POLL_SECONDS):
        super().__init__(name="registrations", daemon=True)
        self.read, self.interval = read, interval
        self.registered: frozenset[str] = frozenset()
        self.version = 0
        self.stopping = threading.Event()
        self.tasks: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()

    def run(self) -> None:
        next_poll = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_poll:
                self.poll()
                next_poll = time.monotonic() + self.interval
            try:
                task = self.tasks.get(timeout=max(0.0, next_poll - time.monotonic()))
            except queue.Empty:
                continue
            if task is not None:
                try:
                    task()
                except Exception:       # a failed command to the edge must not end the watcher
                    log.exception("edge command failed")

    def submit(self, task: Callable[[], object]) -> None:
        """Runs `task` (a command to the edge) in this thread, soon: never in the engine's loop."""
        self.tasks.put(task)

    def poll(self) -> None:
        dump = self.read()
        if dump is not None:
            self.registered = frozenset(registered_users(dump))     # one assignment: safe to read
            self.version += 1

    def stop(self) -> None:
        self.stopping.set()
        self.tasks.put(None)            # wakes the thread
