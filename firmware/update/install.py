"""One install: check the bundle, let RAUC write the other slot, record the outcome.

Only one install runs at a time (an exclusive lock on /data/update/install.lock); a second one is
refused at once rather than queued. The outcome is in state `last`; the progress while RAUC writes
is in state `progress`, which the web page shows.
"""

from __future__ import annotations

import fcntl
import logging
from dataclasses import dataclass
from pathlib import Path

from firmware.update import rauc, state
from firmware.update.check import BundleRefused, check_bundle
from firmware.update.version import running_version

log = logging.getLogger("callbox.update")


class InstallBusy(Exception):
    """Another install is under way."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    version: str = ""


def primary_slot(status: dict) -> str:
    """The bootname of the slot RAUC made primary (the next boot's), from `rauc status` JSON."""
    primary = status.get("boot_primary")
    for entry in status.get("slots", []):
        for name, slot in entry.items():
            if name == primary:
                return str(slot["bootname"])
    raise rauc.RaucError(f"rauc status names no primary slot ({primary!r})")


def install_bundle(bundle: Path, source: str = "upload") -> Outcome:
    """Install BUNDLE to the other slot; the next boot tries it once (docs/appliance.md, "Updates")."""
    directory = state.update_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "install.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InstallBusy("An update is already being installed.") from exc
        try:
            outcome = _install_locked(bundle, source)
        except (OSError, ValueError, RuntimeError) as exc:
            # an unexpected failure must still end the progress shown on the page, with the reason
            outcome = Outcome(False, f"The install failed: {exc}")
    state.clear("progress")
    state.write("last", {"action": "install", "source": source, "ok": outcome.ok,
                         "version": outcome.version, "message": outcome.message})
    log.info("update from %s: %s", source, outcome.message)
    return outcome


def _install_locked(bundle: Path, source: str) -> Outcome:
    state.write("progress", {"percent": 0, "step": "Checking the bundle"})
    try:
        manifest = check_bundle(bundle)
    except BundleRefused as exc:
        return Outcome(False, str(exc))

    def progress(percent: int, step: str) -> None:
        state.write("progress", {"percent": percent, "step": step, "version": manifest.version})

    try:
        rauc.install(bundle, progress)
        slot = primary_slot(rauc.status())
    except rauc.RaucError as exc:
        return Outcome(False, f"Version {manifest.version} was not installed: {exc}", manifest.version)
    # what the next boots decide on (firmware/update/boot.py)
    state.write("pending", {"slot": slot, "version": manifest.version, "from_version": running_version(),
                            "copied": False})
    return Outcome(True, f"Version {manifest.version} is installed; it is tried at the next restart "
                         "and kept if the box passes its health check.", manifest.version)
