"""Restoring a backup without ever leaving the box half-restored, even across a power cut.

Three steps, each safe to be cut at any point:
1. stage: the backup is checked and written beside the live data, in `$CALLBOX_DATA/.restore/files`
   (fsynced), its database checked and migrated forward there. The live data is untouched; a
   stage cut short is thrown away by the next one.
2. commit: `restore-pending.json` is written (beside, fsync, rename): from here the restore will
   be finished, by this process or, if it dies, by the next `callbox run` or `callbox restore --resume`.
3. apply, with the box's services stopped: each part (database, config, prompts, recordings)
   is renamed into place, the part it replaces moved aside first; renames within one file system
   are atomic and each step is idempotent, so a repeated apply carries on where one stopped. Then
   the marker goes and what was replaced is removed.
The services (kamailio reads the database too) are stopped through the box's supervisord when it
runs, and started again afterwards.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from firmware import paths
from firmware.backup.archive import read_backup
from firmware.backup.errors import BackupError, DamagedBackup
from firmware.backup.manifest import DIRECTORIES, Manifest
from firmware.message import Message
from firmware.version import firmware_version

log = logging.getLogger(__name__)

STAGING = ".restore"
MARKER = "restore-pending.json"
LOCK = ".restore.lock"
DATABASE_FILES = ("callbox.db-wal", "callbox.db-shm")     # the live database's companions, moved aside first
PARTS = ("callbox.db", *DIRECTORIES)
SUPERVISED = ("kamailio", "engine", "web", "notifier")     # as the console restarts them


def latest_schema() -> int:
    from firmware.store.db import _migrations

    return max(version for version, _, _ in _migrations())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


@contextmanager
def _locked(data: Path) -> Iterator[None]:
    """One restore at a time (the web and the console could both start one)."""
    with open(data / LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(Message("another restore is under way")) from None
        yield


def pending(data: Path | None = None) -> bool:
    return ((data or paths.data_dir()) / MARKER).exists()


def stage(source, data: Path | None = None, *, passphrase: str | None = None, version: str | None = None) -> Manifest:
    """Step 1: checks the backup in the file object `source` and stages it; BackupError if refused."""
    data = data or paths.data_dir()
    if pending(data):
        raise BackupError(Message("a restore is committed but not finished: it finishes at the next start of the "
                                  "box or with `callbox restore --resume`"))
    with _locked(data):
        staging = data / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        files = staging / "files"
        files.mkdir(parents=True, mode=0o750)
        try:
            manifest = read_backup(source, files, passphrase=passphrase, version=version or firmware_version(),
                                   schema_version=latest_schema())
            os.rename(files / "database" / "callbox.db", files / "callbox.db")
            os.rmdir(files / "database")
            # the restored box has exactly the backup's parts: an empty one replaces a full one
            for directory in DIRECTORIES:
                if directory != "recordings" or manifest.recordings:
                    (files / directory).mkdir(mode=0o750, exist_ok=True)
            _prepare_database(files / "callbox.db")
            _write_atomically(staging / "manifest.json", manifest.to_json())
            _fsync_dir(files)
            _fsync_dir(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return manifest


def _prepare_database(path: Path) -> None:
    """The restored database checked and migrated forward to this firmware's level."""
    import sqlite3

    from firmware.store.db import connect, migrate

    try:
        conn = connect(path)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise DamagedBackup(f"the backup's database is damaged ({verdict})")
            migrate(conn)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except (sqlite3.Error, RuntimeError) as exc:
        raise DamagedBackup(f"the backup's database cannot be used: {exc}") from None


def staged(data: Path | None = None) -> Manifest | None:
    """The manifest of a staged restore waiting for its confirmation, if any."""
    try:
        return Manifest.parse(((data or paths.data_dir()) / STAGING / "manifest.json").read_bytes())
    except (OSError, BackupError):
        return None


def discard(data: Path | None = None) -> None:
    data = data or paths.data_dir()
    if not pending(data):
        shutil.rmtree(data / STAGING, ignore_errors=True)


def commit(data: Path | None = None, actor: str = "console") -> Manifest:
    """Step 2: the staged restore will be finished, whatever happens from here."""
    data = data or paths.data_dir()
    manifest = staged(data)
    if manifest is None:
        raise BackupError(Message("no checked backup is waiting to be restored: upload or choose it again"))
    _write_atomically(data / MARKER, json.dumps({"actor": actor, "manifest": asdict(manifest)}).encode())
    return manifest


def apply(data: Path | None = None) -> bool:
    """Step 3 (the services stopped): moves the staged parts into place; idempotent. False if no
    restore was committed."""
    data = data or paths.data_dir()
    try:
        marker = json.loads((data / MARKER).read_text())
    except FileNotFoundError:
        return False
    files, old = data / STAGING / "files", data / STAGING / "old"
    old.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        incoming = files / part
        if not incoming.exists():
            continue        # not in the backup (recordings left out), or moved in before a cut
        if part == "callbox.db":
            for companion in DATABASE_FILES:
                if (data / companion).exists():
                    os.replace(data / companion, old / companion)
        if (data / part).exists():
            os.replace(data / part, old / part)
        os.rename(incoming, data / part)
        _fsync_dir(data)
    _audit(data, marker)
    (data / MARKER).unlink()
    _fsync_dir(data)
    shutil.rmtree(data / STAGING, ignore_errors=True)
    return True


def _audit(data: Path, marker: dict) -> None:
    """The restore in the restored database's audit log (the replaced one is gone)."""
    from firmware.store import queries
    from firmware.store.db import connect

    info = marker.get("manifest", {})
    detail = (f"backup of {info.get('hostname')} made {info.get('created_at')} by firmware "
              f"{info.get('firmware_version')} (migration {info.get('schema_version')}), "
              f"recordings={'yes' if info.get('recordings') else 'no'}")
    conn = connect(data / "callbox.db")
    try:
        with queries.transaction(conn):
            queries.audit(conn, str(marker.get("actor", "console"))[:100], "backup.restore", detail)
    finally:
        conn.close()


def _supervisorctl(data: Path, *args: str) -> bool:
    socket = data / "run" / "supervisor.sock"
    if not socket.exists():
        return False
    argv = [shutil.which("supervisorctl") or "supervisorctl", "--serverurl", f"unix://{socket}", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("supervisorctl %s: %s", " ".join(args), exc)
        return False
    if done.returncode != 0:
        log.warning("supervisorctl %s: %s", " ".join(args), (done.stdout + done.stderr).strip()[-300:])
    return done.returncode == 0


def apply_with_services_stopped(data: Path | None = None, say=print) -> bool:
    """Step 3 on a running box: its services stopped, the parts swapped in, the services started."""
    data = data or paths.data_dir()
    running = _supervisorctl(data, "stop", *SUPERVISED)
    if running:
        say("services stopped")
    try:
        return apply(data)
    finally:
        if running:
            say("starting the services again")
            _supervisorctl(data, "start", *SUPERVISED)


def restore(source, data: Path | None = None, *, passphrase: str | None = None, actor: str = "console",
            say=print) -> Manifest:
    """The three steps at once (the command line and the console)."""
    data = data or paths.data_dir()
    manifest = stage(source, data, passphrase=passphrase)
    commit(data, actor)
    apply_with_services_stopped(data, say)
    return manifest


def finish_interrupted(data: Path | None = None) -> bool:
    """At the box's start (`callbox run`, before any service): a committed restore is finished."""
    data = data or paths.data_dir()
    if not pending(data):
        return False
    log.warning("finishing the restore that was interrupted")
    return apply(data)
