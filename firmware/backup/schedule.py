"""Scheduled copies of the backup to a folder or a USB stick: the setting, when a copy is due,
which old copies go, and the run itself.

Run by the notifier (`callbox notifier`): it is the box's process for slow outward chores, already
wakes every few seconds, runs under supervisor in development and on the image alike (no systemd
timer needed on a developer's machine), and keeps them off the engine's loop. The copy itself runs
as a child process (`callbox backup --scheduled`), so GBs of recordings going to a slow stick never
hold an alarm notice; the child writes its outcome to `$CALLBOX_DATA/backup-state.json`, which the
notifier and the web read.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from firmware import paths
from firmware.backup.errors import BackupError
from firmware.message import Message

log = logging.getLogger(__name__)

SETTING_KEY = "backup_schedule"
STATE_FILE = "backup-state.json"
EVERY = ("off", "daily", "weekly")
PERIOD = {"daily": 86400.0, "weekly": 7 * 86400.0}
RETRY_SECONDS = 3600.0             # a failed copy (stick not plugged in) is tried again an hour later
CHECK_SECONDS = 60.0
MAX_KEEP = 365
# Where copies may go: removable media mount points, or a folder on the data partition. Not anywhere
# an admin types: the copy runs as root on the image.
MEDIA_ROOTS = ("/media", "/mnt")
BACKUPS_FOLDER = "backups"
OUR_COPY = re.compile(r"^callbox-backup-\d{8}-\d{6}-[^/]+\.tar\.gz(\.enc)?$")


class ScheduleError(ValueError):
    def __init__(self, field: str, message: str):       # a Message where a page shows it (worded there)
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Schedule:
    folder: str = ""
    every: str = "off"
    keep: int = 7
    recordings: bool = False
    passphrase: str = ""        # empty: not encrypted

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def allowed_roots(data: Path | None = None) -> list[PurePosixPath]:
    return [PurePosixPath(root) for root in MEDIA_ROOTS] + [PurePosixPath((data or paths.data_dir()) / BACKUPS_FOLDER)]


def check_folder(text: str, data: Path | None = None) -> str:
    """An absolute folder under a removable media mount or $CALLBOX_DATA/backups."""
    roots = allowed_roots(data)
    if not text.startswith("/") or len(text) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ScheduleError("folder", Message("must be an absolute path of at most 255 characters"))
    path = PurePosixPath(text)
    if ".." in path.parts or not any(path == root or root in path.parents for root in roots):
        raise ScheduleError("folder", Message("must be under {roots} (a USB stick's mount or the box's backups folder)",
                                              roots=", ".join(str(root) for root in roots)))
    return str(path)


def parse_schedule(raw: object, data: Path | None = None) -> Schedule:
    """The setting from JSON, every field checked (ScheduleError names the field)."""
    if not isinstance(raw, dict):
        raise ScheduleError("backup_schedule", "must be an object")
    unknown = set(raw) - set(Schedule.__dataclass_fields__)
    if unknown:
        raise ScheduleError(sorted(unknown)[0], "is not a field of the backup schedule")
    every = raw.get("every", "off")
    if every not in EVERY:
        raise ScheduleError("every", f"must be one of {', '.join(EVERY)}")
    keep = raw.get("keep", 7)
    if not isinstance(keep, int) or isinstance(keep, bool) or not 1 <= keep <= MAX_KEEP:
        raise ScheduleError("keep", f"must be a whole number from 1 to {MAX_KEEP}")
    recordings = raw.get("recordings", False)
    if not isinstance(recordings, bool):
        raise ScheduleError("recordings", "must be true or false")
    passphrase = raw.get("passphrase")
    passphrase = "" if passphrase is None else passphrase
    if not isinstance(passphrase, str) or len(passphrase) > 200 or "\n" in passphrase:
        raise ScheduleError("passphrase", "must be one line of at most 200 characters")
    folder = raw.get("folder")
    folder = "" if folder is None else folder
    if not isinstance(folder, str):
        raise ScheduleError("folder", "must be a path")
    if folder:
        folder = check_folder(folder, data)
    elif every != "off":
        raise ScheduleError("folder", Message("is needed for scheduled copies"))
    return Schedule(folder, every, keep, recordings, passphrase)


def load(text: str | None) -> Schedule:
    if not text:
        return Schedule()
    try:
        return parse_schedule(json.loads(text))
    except (ValueError, ScheduleError) as exc:
        log.error("the backup schedule is not valid (%s): no scheduled copies", exc)
        return Schedule()


def due(schedule: Schedule, state: dict, now: float) -> bool:
    """Whether a copy is due: the period since the last good copy, an hour after a failed try."""
    if schedule.every == "off" or not schedule.folder:
        return False
    if now - float(state.get("last_attempt") or 0) < RETRY_SECONDS and state.get("error"):
        return False
    return now - float(state.get("last_success") or 0) >= PERIOD[schedule.every]


def to_remove(names: list[str], keep: int) -> list[str]:
    """Our own copies beyond the newest `keep` (their names sort by time); nothing else in the folder."""
    ours = sorted(name for name in names if OUR_COPY.match(name))
    return ours[:-keep] if len(ours) > keep else []


# --- I/O ------------------------------------------------------------------------------------------

def read_state(data: Path | None = None) -> dict:
    try:
        state = json.loads(((data or paths.data_dir()) / STATE_FILE).read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_state(data: Path, state: dict) -> None:
    target = data / STATE_FILE
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, target)


def run_scheduled(data: Path | None = None, now: float | None = None) -> int:
    """One scheduled copy, as the setting says (`callbox backup --scheduled`); 0 when written."""
    from firmware.backup.archive import backup_name, write_file
    from firmware.store import connect, queries

    data = data or paths.data_dir()
    now = time.time() if now is None else now
    conn = connect(data / "callbox.db")
    try:
        schedule = load(queries.get_setting(conn, SETTING_KEY))
    finally:
        conn.close()
    state = {**read_state(data), "last_attempt": now, "error": None}
    try:
        if not schedule.folder:
            raise BackupError("no folder is set for scheduled copies")
        folder = Path(schedule.folder)
        if folder == Path(allowed_roots(data)[-1]):
            folder.mkdir(exist_ok=True)
        if not folder.is_dir():
            raise BackupError(f"the folder {folder} is not there (is the USB stick plugged in and mounted?)")
        for leftover in folder.glob("callbox-backup-*.partial"):
            leftover.unlink(missing_ok=True)      # a copy cut short by a restart or a pulled stick
        scratch = folder / "callbox-backup-next.partial"
        manifest = write_file(scratch, data, recordings=schedule.recordings, passphrase=schedule.passphrase or None)
        name = backup_name(manifest, bool(schedule.passphrase))
        os.replace(scratch, folder / name)
        for old in to_remove([p.name for p in folder.iterdir()], schedule.keep):
            (folder / old).unlink(missing_ok=True)
        state.update(last_success=now, file=str(folder / name), size=(folder / name).stat().st_size)
        log.info("scheduled backup written: %s", folder / name)
        return 0
    except (BackupError, OSError) as exc:
        state["error"] = str(exc)
        log.error("scheduled backup failed: %s", exc)
        return 1
    finally:
        _write_state(data, state)


class ScheduledBackups:
    """The notifier's part: starts `callbox backup --scheduled` when a copy is due, one at a time."""

    def __init__(self, conn, data: Path | None = None):
        self.conn, self.data = conn, data or paths.data_dir()
        self.child: subprocess.Popen | None = None
        self.next_check = 0.0

    def tick(self, now: float | None = None) -> None:
        from firmware.store import queries

        now = time.time() if now is None else now
        if self.child is not None:
            if self.child.poll() is None:
                return
            self.child = None
        if now < self.next_check:
            return
        self.next_check = now + CHECK_SECONDS
        if due(load(queries.get_setting(self.conn, SETTING_KEY)), read_state(self.data), now):
            log.info("starting the scheduled backup")
            self.child = subprocess.Popen([sys.executable, "-m", "firmware.cli", "backup", "--scheduled"],
                                          env={**os.environ, "CALLBOX_DATA": str(self.data)})
