"""The console's "Restore a backup" (a locked item): pick a backup file (the scheduled copies and
USB sticks are offered), its passphrase if it has one, a look at what it is, the word RESTORE, then
the restore with the services stopped and started again."""

from __future__ import annotations

import time
from pathlib import Path

from firmware import paths
from firmware.backup import crypto
from firmware.backup.commands import describe, peek
from firmware.backup.errors import BackupError
from firmware.backup.schedule import MEDIA_ROOTS, OUR_COPY, SETTING_KEY, load
from firmware.console.terminal import BadInput

CONFIRM_WORD = "RESTORE"
MAX_OFFERED = 9


def backups_found(conn) -> list[Path]:
    """Backup files in the scheduled copies' folder and on mounted sticks (two levels down), newest first."""
    from firmware.store import queries

    folders = [Path(root) for root in MEDIA_ROOTS] + [paths.data_dir() / "backups"]
    folder = load(queries.get_setting(conn, SETTING_KEY)).folder
    if folder:
        folders.insert(0, Path(folder))
    found: dict[Path, float] = {}
    for top in folders:
        for pattern in ("*", "*/*", "*/*/*"):
            try:
                for path in top.glob(pattern):
                    if OUR_COPY.match(path.name) and path.is_file():
                        found[path] = path.stat().st_mtime
            except OSError:
                continue
    return sorted(found, key=found.get, reverse=True)[:MAX_OFFERED]


def choose_file(console) -> Path | None:
    term = console.term
    offered = backups_found(console.conn)
    for number, path in enumerate(offered, 1):
        made = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        term.say(f"{number:3}) {path} ({path.stat().st_size >> 20} MiB, {made})")
    if not offered:
        term.say("no backup files found on USB sticks (/media, /mnt) or in the scheduled copies' folder")
    hint = f"1-{len(offered)} or " if offered else ""
    answer = term.ask(f"backup file ({hint}a full path; Enter: back): ")
    if answer == "":
        return None
    if answer.isascii() and answer.isdigit():
        number = int(answer)
        if not 1 <= number <= len(offered):
            raise BadInput(f"there is no file {number}" + (f"; type 1 to {len(offered)} or a path" if offered else ""))
        return offered[number - 1]
    path = Path(answer)
    if not path.is_absolute():
        raise BadInput(f"{answer[:40]!r} is not a full path (it starts with /)")
    if not path.is_file():
        raise BadInput(f"there is no file {answer[:80]!r}")
    return path


def restore_dialog(console) -> None:
    from firmware.backup.restore import restore

    term = console.term
    path = choose_file(console)
    if path is None:
        return
    with open(path, "rb") as f:
        encrypted = crypto.is_encrypted(f.read(len(crypto.MAGIC)))
    passphrase = term.ask("passphrase of the backup: ", secret=True) if encrypted else None
    try:
        manifest = peek(path, passphrase)
    except BackupError as exc:
        term.say(f"! {exc}; nothing was changed")
        return
    term.say(describe(manifest))
    term.say("Restoring replaces this box's configuration, calls, sounds, users and the installer password")
    term.say("with the backup's; the services restart and calls in progress end.")
    answer = term.ask(f"type {CONFIRM_WORD} to restore it, anything else keeps the box as it is: ")
    if answer != CONFIRM_WORD:
        term.say(f"not restored: you typed {answer[:20]!r}, not {CONFIRM_WORD}")
        return
    term.say("checking the whole backup and putting it beside the box's data ...")
    console.conn.close()
    console.conn = None
    try:
        with open(path, "rb") as source:
            restore(source, passphrase=passphrase, actor="console", say=term.say)
    except BackupError as exc:
        term.say(f"! {exc}; nothing was changed")
        return
    finally:
        console.open_store()
    console.unlocked = False        # the installer password is now the backup's
    term.say(f"restored: {describe(manifest)}")
