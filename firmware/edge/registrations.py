"""Which agent phones are registered at the edge, read from kamailio's location table (`ul.dump`).

The registrar lives in kamailio; the engine only needs to know who can be rung, so that an agent
whose phone unregistered (or whose registration expired) is unavailable rather than rung in vain
(ACD: `phone_registered` / `phone_unregistered`). `RegistrationWatcher` asks every few seconds in
a thread of its own: kamcmd is a subprocess, and the engine's loop must not wait for it.
"""

from __future__ import annotations

import logging
import threading

from firmware.edge.kamailio import kamcmd

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


def registered_users(dump: str) -> set[str]:
    """The AoRs (extensions) of `kamcmd ul.dump` with at least one contact that has not expired."""
    users, aor = set(), None
    for line in dump.splitlines():
        key, _, value = line.strip().partition(": ")
        value = value.strip()
        if key == "AoR":
            aor = value
        elif key == "Expires" and aor is not None:
            if value == "permanent" or (value.isdigit() and int(value) > 0):
                users.add(aor)
    return users


def dump_locations(timeout: float = 2.0) -> str | None:
    """kamcmd ul.dump; None when the edge cannot be asked (not running, busy)."""
    output, error = kamcmd("ul.dump", timeout)
    if output is None:
        log.debug("registrations not read: %s", error)
    return output


class RegistrationWatcher(threading.Thread):
    """Keeps `registered` (a frozenset of extensions) and `version` up to date; the engine's loop
    compares the version and applies what changed. While the edge cannot be read, the last
    known state stays: nobody is made unavailable by a hiccup of kamcmd."""

    def __init__(self, read=dump_locations, interval: float = POLL_SECONDS):
        super().__init__(name="registrations", daemon=True)
        self.read, self.interval = read, interval
        self.registered: frozenset[str] = frozenset()
        self.version = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.poll()
            self.stopping.wait(self.interval)

    def poll(self) -> None:
        dump = self.read()
        if dump is not None:
            self.registered = frozenset(registered_users(dump))     # one assignment: safe to read
            self.version += 1

    def stop(self) -> None:
        self.stopping.set()
