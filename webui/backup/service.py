"""Backups on the web (admin): the download streamed as it is written, the upload streamed to the
data partition and checked before a confirmation, the restore handed to a process of its own, and
the schedule of copies. Each step is in the audit log."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from firmware.backup import restore as restoring
from firmware.backup import schedule as scheduling
from firmware.backup.archive import COPY_BLOCK, DISK_RESERVE_BYTES, write_backup
from firmware.backup.errors import BackupError
from firmware.backup.manifest import Manifest
from firmware.message import Message
from firmware.store import queries
from firmware.version import firmware_version
from webui import fields, validation
from webui.fields import FieldError
from webui.service import Data, Row, change

log = logging.getLogger(__name__)

UPLOAD_DIR = ".restore-upload"
UPLOAD_LIMIT = 64 * 1024 ** 3            # what the box takes at most, before the room on the disk
PASSPHRASE = dict(max_length=200, strip=False)


def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


# --- download -------------------------------------------------------------------------------------

def download_options(conn, actor: str, data: Data) -> tuple[bool, str | None]:
    """(recordings, passphrase) from the download form, checked and audited."""
    recordings = data.get("recordings") in ("1", "on", "true", True)
    passphrase = fields.text(data, "passphrase", required=False, **PASSPHRASE) or None
    if passphrase is not None and passphrase != data.get("passphrase_again"):
        raise FieldError("passphrase_again", "the two passphrases differ")
    with change(conn, {}):
        queries.audit(conn, actor, "backup.download", f"recordings={'yes' if recordings else 'no'} "
                                                      f"encrypted={'yes' if passphrase else 'no'}")
    return recordings, passphrase


def download_name(encrypted: bool) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"callbox-backup-{stamp}-{firmware_version()}.tar.gz" + (".enc" if encrypted else "")


def stream_backup(data: Path, recordings: bool, passphrase: str | None) -> Iterator[bytes]:
    """The backup as it is written, through a pipe from a thread (the writer wants a file, the
    response an iterator): never whole in memory or on disk. A client that leaves closes the pipe
    and the writer stops at its next write."""
    read_end, write_end = os.pipe()

    def produce() -> None:
        with os.fdopen(write_end, "wb") as sink:
            try:
                write_backup(sink, data, recordings=recordings, passphrase=passphrase)
            except BrokenPipeError:
                log.info("backup download left by the client")
            except Exception:           # the download ends cut; its missing checksums refuse it at restore
                log.exception("backup download failed")

    writer = threading.Thread(target=produce, name="backup-download", daemon=True)
    writer.start()
    with os.fdopen(read_end, "rb") as source:
        while block := source.read(COPY_BLOCK):
            yield block
    writer.join()


# --- upload and restore ---------------------------------------------------------------------------

def upload_limit(data: Path, content_length: int | None) -> int:
    """What an upload may be: the box's cap, and half the free room (the upload and its staging)."""
    room = (shutil.disk_usage(data).free - DISK_RESERVE_BYTES) // 2
    limit = max(0, min(current_app.config.get("BACKUP_UPLOAD_LIMIT", UPLOAD_LIMIT), room))
    if content_length is not None and content_length > limit:
        raise RequestEntityTooLarge(Message("the backup ({size} MiB) is larger than the {limit} MiB this box can "
                                            "take now", size=content_length >> 20, limit=limit >> 20))
    return limit


def receive_upload(environ, data: Path):
    """The multipart upload parsed with its file streamed to the data partition (the image's /tmp is
    memory); returns (form, the file's path)."""
    from werkzeug.formparser import parse_form_data

    declared = environ.get("CONTENT_LENGTH") or ""
    limit = upload_limit(data, int(declared) if declared.isascii() and declared.isdigit() else None)
    folder = data / UPLOAD_DIR
    shutil.rmtree(folder, ignore_errors=True)       # one upload at a time: an earlier one cut short goes
    folder.mkdir(mode=0o700)

    def to_disk(total_content_length, content_type, filename, content_length=None):
        return tempfile.NamedTemporaryFile("wb+", dir=folder, prefix="upload-", delete=False)

    _, form, files = parse_form_data(environ, stream_factory=to_disk, max_content_length=limit,
                                     max_form_memory_size=64 * 1024)
    upload = files.get("backup")
    if upload is None or not upload.filename:
        shutil.rmtree(folder, ignore_errors=True)
        raise FieldError("backup", "choose a backup file")
    upload.stream.close()
    return form, Path(upload.stream.name)


def stage_upload(conn, actor: str, path: Path, form: Data, data: Path) -> Manifest:
    """The uploaded file checked and staged beside the live data; nothing changes until confirmed."""
    passphrase = fields.text(form, "passphrase", required=False, **PASSPHRASE) or None
    try:
        with open(path, "rb") as source:
            manifest = restoring.stage(source, data, passphrase=passphrase)
    except BackupError as exc:
        with change(conn, {}):
            queries.audit(conn, actor, "backup.upload", f"refused: {exc}")
        raise BadRequest(exc.args[0]) from None       # a Message: the page words it
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    with change(conn, {}):
        queries.audit(conn, actor, "backup.upload", f"checked: backup of {manifest.hostname} made "
                                                    f"{manifest.created_at:.0f} by firmware {manifest.firmware_version}")
    return manifest


def staged(data: Path) -> Manifest | None:
    return None if restoring.pending(data) else restoring.staged(data)


def confirm_restore(conn, actor: str, data: Path) -> Manifest:
    """Commits the staged restore and hands it to `callbox restore --resume` in a session of its own:
    it stops the services (this web among them), swaps the data in, and starts them again."""
    manifest = restoring.commit(data, actor)
    with change(conn, {}):
        queries.audit(conn, actor, "backup.restore.confirm", f"backup made {manifest.created_at:.0f}")
    log_file = data / "log" / "restore.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        subprocess.Popen([sys.executable, "-m", "firmware.cli", "restore", "--resume"],
                         env={**os.environ, "CALLBOX_DATA": str(data)}, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=out, start_new_session=True)
    return manifest


def cancel_restore(conn, actor: str, data: Path) -> None:
    restoring.discard(data)
    with change(conn, {}):
        queries.audit(conn, actor, "backup.restore.cancel")


# --- the schedule ---------------------------------------------------------------------------------

def schedule(conn, data: Path) -> Row:
    """The schedule as the API and the page show it: the passphrase only as whether one is set."""
    current = scheduling.load(queries.get_setting(conn, scheduling.SETTING_KEY))
    state = scheduling.read_state(data)
    return {"folder": current.folder, "every": current.every, "keep": current.keep,
            "recordings": current.recordings, "encrypted": bool(current.passphrase),
            "last_attempt_at": state.get("last_attempt"), "last_success_at": state.get("last_success"),
            "last_file": state.get("file"), "last_error": state.get("error")}


def update_schedule(conn, actor: str, data: Data, box: Path) -> Row:
    """A change of the schedule: fields left out stay; the passphrase left out or null stays, "" clears it."""
    from webui.backup.schema import BackupScheduleChange

    given = validation.read(BackupScheduleChange, data).model_dump(exclude_none=True)
    stored = scheduling.load(queries.get_setting(conn, scheduling.SETTING_KEY))
    merged = {**json.loads(stored.to_json()), **given}
    try:         # the rules that need the box: where a folder may be, a folder when copies are on
        new = scheduling.parse_schedule(merged, box)
    except scheduling.ScheduleError as exc:
        raise FieldError(exc.field, exc.message) from None
    with change(conn, {}):
        queries.set_setting(conn, scheduling.SETTING_KEY, new.to_json())
        queries.audit(conn, actor, "backup.schedule", f"folder={new.folder} every={new.every} keep={new.keep} "
                                                      f"recordings={new.recordings} encrypted={bool(new.passphrase)}")
    return schedule(conn, box)
