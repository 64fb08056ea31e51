"""The updates' writes: a bundle received onto /data (streamed, never held in memory) and checked,
its install started in the background; the update address; "check now". Each one audited."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from werkzeug.exceptions import Conflict, RequestEntityTooLarge

from firmware import paths
from firmware.message import Message
from firmware.store import queries
from firmware.update import poll, state
from firmware.update.check import BundleRefused, check_bundle
from webui.fields import FieldError
from webui.service import change

CHUNK = 1 << 20


def upload_dir() -> Path:
    directory = paths.data_dir() / "update" / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def new_upload_file() -> IO[bytes]:
    """A file on /data for an upload under way (the box's /tmp is memory)."""
    return tempfile.NamedTemporaryFile(dir=upload_dir(), prefix="upload-", suffix=".raucb", delete=False)


def save_stream(chunks: Iterable[bytes], limit: int) -> Path:
    """An API upload's body, chunk by chunk, to a file on /data; over LIMIT bytes: 413, file gone."""
    received = 0
    with new_upload_file() as out:
        path = Path(out.name)
        try:
            for chunk in chunks:
                received += len(chunk)
                if received > limit:
                    raise RequestEntityTooLarge(f"a bundle is at most {limit} bytes")
                out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def install_running() -> bool:
    """Whether an install holds the lock now (firmware.update.install)."""
    lock_path = paths.data_dir() / "update" / "install.lock"
    if not lock_path.exists():
        return False
    with open(lock_path) as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def start_install(conn, actor: str, bundle: Path) -> str:
    """Checks the received bundle now (a refusal is the answer to the upload: 400), then installs it
    in a process of its own, which outlives the request and records its progress and result."""
    try:
        if install_running():
            raise Conflict(Message("an update is already being installed"))
        try:
            manifest = check_bundle(bundle)
        except BundleRefused as exc:
            with change(conn, {}):
                queries.audit(conn, actor, "update.refused", str(exc)[:300])
            state.write("last", {"action": "install", "source": "upload", "ok": False, "version": "",
                                 "message": str(exc)})
            raise FieldError("bundle", str(exc)) from exc
    except BaseException:
        bundle.unlink(missing_ok=True)
        raise
    with change(conn, {}):
        queries.audit(conn, actor, "update.upload", f"version={manifest.version}")
    state.write("progress", {"percent": 0, "step": "Starting", "version": manifest.version})
    log = paths.log_dir() / "update.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        subprocess.Popen([sys.executable, "-m", "firmware.cli", "update", "install", "--source", f"upload by {actor}",
                          "--remove", str(bundle)], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True, env=dict(os.environ))
    return manifest.version


def set_update_url(conn, actor: str, url: str) -> str:
    url = url.strip()
    if url:
        try:
            url = poll.valid_url(url)
        except ValueError as exc:
            raise FieldError("url", str(exc)) from exc
    with change(conn, {}):
        queries.set_setting(conn, poll.URL_SETTING, url)
        queries.audit(conn, actor, "update.url", url or "(none)")
    return url


def check_now(conn, actor: str) -> None:
    """`callbox update check --install` in the background; the page shows its result (state `poll`)."""
    if not queries.get_setting(conn, poll.URL_SETTING, ""):
        raise Conflict(Message("no update address is set"))
    with change(conn, {}):
        queries.audit(conn, actor, "update.check")
    state.write("poll", {"ok": True, "message": "Checking..."})
    log = paths.log_dir() / "update.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        subprocess.Popen([sys.executable, "-m", "firmware.cli", "update", "check", "--install"],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True, env=dict(os.environ))


def keep_upload(name: str) -> Path:
    path = Path(name)
    if path.parent != upload_dir():
        raise RuntimeError(f"upload outside {upload_dir()}: {path}")
    return path


def discard(names: Iterable[str]) -> None:
    for name in list(names):
        Path(name).unlink(missing_ok=True)


def restart(conn, actor: str) -> None:
    """Reboots into the installed version (only when one waits for its trial)."""
    from firmware.console.system import system_from_env

    pending = state.read("pending")
    if pending is None:
        raise Conflict(Message("no installed version waits for a restart"))
    with change(conn, {}):
        queries.audit(conn, actor, "update.restart", f"version={pending.get('version')}")
    system_from_env(lambda line: None).reboot()
