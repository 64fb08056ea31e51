"""What the box does about updates at each boot: before the services start (`prepare`) and once
they run (`confirm`). docs/appliance.md, "Updates", has the states.

An install leaves state `pending` (the slot written, its version, the version it replaces). Then:
- the new slot boots (GRUB's trial): `prepare` keeps a copy of the database as the old firmware left
  it, before the new one migrates it; `confirm` waits for the health check: passed, the slot is
  marked good and the old one bad (no way back to firmware older than the data); failed, the slot
  is marked bad and the box reboots into the old one;
- the old slot boots while an update is pending (the trial crashed, hung, or failed its check):
  `prepare` puts the copy of the database back, so the old firmware finds the data it knew, marks
  the new slot bad and says so in state `last`;
- no update pending: the booted slot is marked good at once (GRUB's TRY mark is cleared), and the
  health check's result is only recorded (`health`): rebooting into the other slot would not help.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from firmware import paths
from firmware.update import health, rauc, state

log = logging.getLogger("callbox.update")


def rollback_copy() -> Path:
    return state.update_dir() / "rollback" / "callbox.db"


def booted_slot() -> str:
    return str(rauc.status()["booted"])


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup into a new file, then renamed: never half a database at `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    with open(partial, "rb") as done:
        os.fsync(done.fileno())
    os.replace(partial, target)


def keep_database_copy() -> bool:
    database = paths.database_path()
    if not database.exists():
        return False
    _sqlite_copy(database, rollback_copy())
    return True


def restore_database_copy() -> None:
    database = paths.database_path()
    # the newer firmware's write-ahead log belongs to the migrated database: it goes too
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    _sqlite_copy(rollback_copy(), database)


def prepare(booted: str | None = None) -> str:
    """Before the services start. Returns "ordinary", "trial" or "rolled-back"."""
    booted = booted or booted_slot()
    pending = state.read("pending")
    if pending is None:
        rauc.mark("good", "booted")
        return "ordinary"
    if pending.get("slot") == booted:
        if not pending.get("copied"):
            copied = keep_database_copy()
            state.write("pending", {**pending, "copied": copied})
        return "trial"
    # back on the old slot with an update pending: its trial did not confirm itself
    if pending.get("copied"):
        restore_database_copy()
    rauc.mark("bad", "other")
    rauc.mark("good", "booted")
    trial = state.read("trial") or {}
    why = trial.get("message") or "it did not start (a crash or a hang before its health check)"
    state.write("last", {"action": "rollback", "ok": False, "version": pending.get("version", ""),
                         "message": f"Version {pending.get('version')} was rolled back: {why}. Back on version "
                                    f"{pending.get('from_version')} with the data as it was before the update."})
    state.clear("pending")
    state.clear("trial")
    return "rolled-back"


def confirm(booted: str | None = None, deadline_s: float = 600.0,
            wait: Callable[[float], tuple[bool, list[health.Check]]] = health.wait_healthy,
            reboot: Callable[[], None] = lambda: os.execvp("systemctl", ["systemctl", "reboot"])) -> bool:
    """Once the services were started: the health check decides. Returns whether the box is healthy."""
    booted = booted or booted_slot()
    pending = state.read("pending")
    healthy, results = wait(deadline_s)
    state.write("health", {"ok": healthy, "slot": booted, "message": health.summary(results)})
    if pending is None or pending.get("slot") != booted:
        if not healthy:
            log.error("health check failed (no update on trial, so no rollback): %s", health.summary(results))
        return healthy
    version = pending.get("version", "")
    if healthy:
        rauc.mark("good", "booted")
        # the old slot's firmware predates the migrated data: it is no fallback any more
        rauc.mark("bad", "other")
        rollback_copy().unlink(missing_ok=True)
        state.write("last", {"action": "install", "ok": True, "version": version,
                             "message": f"Version {version} is running and passed its health check."})
        state.clear("pending")
        return True
    message = f"it failed its health check ({health.summary(results)})"
    state.write("trial", {"ok": False, "version": version, "message": message})
    log.error("version %s %s: marking slot %s bad and rebooting", version, message, booted)
    rauc.mark("bad", "booted")
    reboot()
    return False
