"""`callbox backup` and `callbox restore` on the console (firmware/cli.py hands over here).

Parsed for every `callbox` command: the archive and crypto modules are imported by the commands
that use them, not here."""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

from firmware import paths
from firmware.backup.errors import BackupError
from firmware.backup.manifest import Manifest


def add_arguments(sub) -> None:
    backup = sub.add_parser("backup", help="write a backup file: database, configuration, sounds (and recordings)")
    backup.add_argument("out", nargs="?", metavar="OUT", help="the file to write ('-': standard output)")
    backup.add_argument("--recordings", action="store_true", help="include the call recordings")
    backup.add_argument("--passphrase-file", metavar="F", help="encrypt with the passphrase in F (its first line)")
    backup.add_argument("--scheduled", action="store_true", help="the scheduled copy, as its setting says")
    restore = sub.add_parser("restore", help="restore a backup file (the services restart; calls end)")
    restore.add_argument("source", nargs="?", metavar="IN", help="the backup file ('-': standard input)")
    restore.add_argument("--passphrase-file", metavar="F", help="the passphrase of an encrypted backup (first line of F)")
    restore.add_argument("--resume", action="store_true", help="finish a committed restore that was interrupted")


def read_passphrase(path: str | None) -> str | None:
    if path is None:
        return None
    with open(path, encoding="utf-8") as f:
        line = f.readline().rstrip("\r\n")
    if not line:
        raise BackupError(f"the passphrase file {path} has an empty first line")
    return line


def describe(manifest: Manifest) -> str:
    made = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(manifest.created_at))
    return (f"backup of {manifest.hostname}, made {made} by firmware {manifest.firmware_version} "
            f"(database migration {manifest.schema_version}), "
            f"{'with' if manifest.recordings else 'without'} recordings")


def cmd_backup(args) -> int:
    from firmware.backup.archive import write_backup, write_file

    try:
        if args.scheduled:
            from firmware.backup.schedule import run_scheduled

            return run_scheduled()
        if not args.out:
            print("callbox backup: name the file to write (OUT), or '-' for standard output", file=sys.stderr)
            return 2
        passphrase = read_passphrase(args.passphrase_file)
        paths.ensure_layout()
        if args.out == "-":
            manifest = write_backup(sys.stdout.buffer, paths.data_dir(), recordings=args.recordings,
                                    passphrase=passphrase)
        else:
            manifest = write_file(Path(args.out), paths.data_dir(), recordings=args.recordings, passphrase=passphrase)
        print(f"written: {describe(manifest)}" + (", encrypted" if passphrase else ""), file=sys.stderr)
        return 0
    except (BackupError, OSError) as exc:
        print(f"callbox backup: {exc}", file=sys.stderr)
        return 1


def cmd_restore(args) -> int:
    from firmware.backup import restore as restoring

    try:
        paths.ensure_layout()
        if args.resume:
            if restoring.apply_with_services_stopped(paths.data_dir()):
                print("the interrupted restore is finished")
            else:
                print("no restore was waiting to be finished")
            return 0
        if not args.source:
            print("callbox restore: name the backup file (IN), or '-' for standard input", file=sys.stderr)
            return 2
        passphrase = read_passphrase(args.passphrase_file)
        if passphrase is None and args.source != "-" and sys.stdin.isatty():
            with open(args.source, "rb") as f:
                if _encrypted(f):
                    passphrase = getpass.getpass("passphrase of the backup: ")
        source = sys.stdin.buffer if args.source == "-" else open(args.source, "rb")
        with source:
            manifest = restoring.restore(source, paths.data_dir(), passphrase=passphrase, actor="console",
                                         say=lambda line: print(line, file=sys.stderr))
        print(f"restored: {describe(manifest)}")
        return 0
    except (BackupError, OSError) as exc:
        outcome = ("the restore is committed and finishes at the next start of the box or with "
                   "`callbox restore --resume`" if restoring.pending() else "nothing was changed")
        print(f"callbox restore: {exc}; {outcome}", file=sys.stderr)
        return 1


def _encrypted(f) -> bool:
    from firmware.backup import crypto

    return crypto.is_encrypted(f.read(len(crypto.MAGIC)))


def peek(path: Path, passphrase: str | None) -> Manifest:
    from firmware.backup.archive import read_manifest

    with open(path, "rb") as f:
        return read_manifest(f, passphrase)
