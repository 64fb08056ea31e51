"""Writing a backup file and reading one back, as streams: a backup is read once, from front to
back, whether it comes from the web's upload, a USB stick or a pipe; it is never whole in memory.

Reading treats the file as hostile: every member's name, type and size is checked before a byte is
written (firmware/backup/manifest.py), files are created fresh (O_EXCL, O_NOFOLLOW) under a staging
directory the reader made itself, and nothing is trusted until the checksums at the end agree.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import socket
import sqlite3
import stat
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from firmware.backup import crypto
from firmware.backup.errors import BackupError, DamagedBackup, UnsafeMember
from firmware.backup.manifest import (CHECKSUMS, DATABASE, DIRECTORIES, MANIFEST, MAX_CHECKSUMS_BYTES,
                                      MAX_MANIFEST_BYTES, MAX_MEMBER_BYTES, MAX_MEMBERS, Manifest,
                                      check_restorable, checksums_json, member_path, parse_checksums)
from firmware.message import Message
from firmware.version import firmware_version

COPY_BLOCK = 256 * 1024
# gzip's fastest level: the database shrinks to about a third all the same, and a Pi's one core
# must not spend an hour on GBs of recordings (which gzip barely shrinks).
GZIP_LEVEL = 1
# room a restore leaves free on the data partition while it stages (the box keeps writing)
DISK_RESERVE_BYTES = 256 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


# --- writing --------------------------------------------------------------------------------------

def snapshot_database(source: Path, target: Path) -> int:
    """A consistent copy of the live database through SQLite's online backup API (one step: it
    holds one read snapshot, so the engine and the web go on writing meanwhile); returns its
    migration level."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    live = sqlite3.connect(source, timeout=10)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)
        level = copy.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
    finally:
        copy.close()
        live.close()
    return level


class _HashingReader:
    """Reads exactly `size` bytes of a file that may change meanwhile (a recording still being
    written grows, retention may shorten one): the bytes past `size` wait for the next backup, a
    shortfall is filled with zeros so the stream stays well-formed."""

    def __init__(self, f, size: int):
        self.f, self.left = f, size
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        data += b"\0" * (n - len(data))
        self.left -= n
        self.sha256.update(data)
        return data


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o640
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path, sums: dict[str, tuple[int, str]]) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return                  # gone since the listing (retention) or a link: not the box's file
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o640
        reader = _HashingReader(f, st.st_size)
        tar.addfile(info, reader)
        sums[name] = (st.st_size, reader.sha256.hexdigest())


def _files_under(root: Path) -> list[Path]:
    """Regular files under `root`, sorted, links neither followed nor taken."""
    found = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def write_backup(target, data: Path, *, recordings: bool, passphrase: str | None = None,
                 version: str | None = None) -> Manifest:
    """Writes the backup of the data directory `data` to the file object `target` (not closed)."""
    with tempfile.TemporaryDirectory(dir=data, prefix=".backup-") as scratch:
        snapshot = Path(scratch) / "callbox.db"
        level = snapshot_database(data / "callbox.db", snapshot)
        manifest = Manifest(firmware_version=version or firmware_version(), schema_version=level,
                            created_at=time.time(), hostname=socket.gethostname(), recordings=recordings)
        sink = crypto.EncryptingWriter(target, passphrase) if passphrase else target
        with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as zipped, \
                tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, manifest.to_json())
            sums: dict[str, tuple[int, str]] = {}
            _add_file(tar, DATABASE, snapshot, sums)
            for directory in DIRECTORIES:
                if directory == "recordings" and not recordings:
                    continue
                root = data / directory
                for path in _files_under(root):
                    _add_file(tar, f"{directory}/{path.relative_to(root).as_posix()}", path, sums)
            _add_bytes(tar, CHECKSUMS, checksums_json(sums))
        if passphrase:
            sink.close()
        target.flush()
    return manifest


def backup_name(manifest: Manifest, encrypted: bool) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(manifest.created_at))
    return f"callbox-backup-{stamp}-{manifest.firmware_version}.tar.gz" + (".enc" if encrypted else "")


# --- reading --------------------------------------------------------------------------------------

class _Prefixed:
    """A stream with its first bytes read already (to tell plain from encrypted) put back in front."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            data, self.head = (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            return data
        return self.rest.read(n)


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile reads a PAX or GNU long-name header's data whole into memory, as long as the header
    says: a hostile one of GBs would take the box's memory. Refused above a size no real one nears."""

    def _proc_member(self, tar):
        if self.type in _HEADER_TYPES and self.size > MAX_HEADER_BYTES:
            raise UnsafeMember(f"the backup has an extended header of {self.size} bytes (at most {MAX_HEADER_BYTES})")
        return super()._proc_member(tar)


_HEADER_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                 tarfile.GNUTYPE_LONGLINK)
MAX_HEADER_BYTES = 1024 * 1024


def _open_tar(zipped) -> tarfile.TarFile:
    return tarfile.open(fileobj=zipped, mode="r|", tarinfo=_BoundedTarInfo)


def open_stream(source, passphrase: str | None):
    """The plain gzip stream of a backup file object, decrypting it if it is encrypted."""
    head = source.read(len(crypto.MAGIC))
    stream = _Prefixed(head, source)
    if crypto.is_encrypted(head):
        return crypto.DecryptingReader(stream, passphrase)
    if head.startswith(GZIP_MAGIC):
        return stream
    raise DamagedBackup(Message("this is not a Callbox backup (neither a gzip archive nor an encrypted backup)"))


def read_manifest(source, passphrase: str | None) -> Manifest:
    """The manifest alone (for a look before a restore); reads only the file's head."""
    try:
        with _open_tar(gzip.GzipFile(fileobj=open_stream(source, passphrase), mode="rb")) as tar:
            return _manifest(tar, next(iter(tar), None))
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DamagedBackup(Message("the backup is cut short or damaged ({error})", error=str(exc))) from None


def _manifest(tar: tarfile.TarFile, first: tarfile.TarInfo | None) -> Manifest:
    if first is None or first.name != MANIFEST or not first.isreg() or first.size > MAX_MANIFEST_BYTES:
        raise DamagedBackup(Message("this is not a Callbox backup (it does not start with its manifest)"))
    return Manifest.parse(tar.extractfile(first).read())


def read_backup(source, staging: Path, *, passphrase: str | None, version: str, schema_version: int) -> Manifest:
    """Checks the backup in `source` and writes its files under `staging` (an empty directory):
    refused (BackupError) if it is newer than this firmware, encrypted with another passphrase,
    altered, cut short, or names anything but the parts of a backup. Files are fsynced."""
    try:
        zipped = gzip.GzipFile(fileobj=open_stream(source, passphrase), mode="rb")
        with _open_tar(zipped) as tar:
            members = iter(tar)
            manifest = _manifest(tar, next(members, None))
            check_restorable(manifest, version, schema_version)
            found, checksums = _extract(tar, members, staging)
        # past the archive's end: to the end of the gzip stream, whose CRC and length are checked there
        for _ in range(64):
            if not zipped.read(COPY_BLOCK):
                break
        else:
            raise DamagedBackup("the backup has more than 16 MiB of data after its archive")
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DamagedBackup(Message("the backup is cut short or damaged ({error})", error=str(exc))) from None
    if checksums is None:
        raise DamagedBackup(Message("the backup is cut short (its checksums, the last member, are missing)"))
    for name in sorted(set(found) | set(checksums)):
        if found.get(name) != checksums.get(name):
            raise DamagedBackup(Message("the backup's {name} does not match its checksum (altered or damaged)", name=name))
    if DATABASE not in found:
        raise DamagedBackup("the backup holds no database")
    return manifest


def _extract(tar: tarfile.TarFile, members, staging: Path):
    found: dict[str, tuple[int, str]] = {}
    checksums = None
    for count, member in enumerate(members):
        if checksums is not None:
            raise DamagedBackup("the backup has members after its checksums")
        if member.name == CHECKSUMS:
            if not member.isreg() or member.size > MAX_CHECKSUMS_BYTES:
                raise UnsafeMember("the backup's checksums are not a file of a sensible size")
            checksums = parse_checksums(tar.extractfile(member).read())
            continue
        if count >= MAX_MEMBERS:
            raise UnsafeMember(f"the backup has more than {MAX_MEMBERS} members")
        path = member_path(member.name)
        if member.isdir():
            continue            # directories are made for the files in them
        if not member.isreg():
            raise UnsafeMember(f"the member {str(path)[:80]!r} is a link or a special file, not a regular file")
        if member.size > MAX_MEMBER_BYTES:
            raise UnsafeMember(f"the member {str(path)[:80]!r} is larger than {MAX_MEMBER_BYTES >> 30} GiB")
        if str(path) in found:
            raise UnsafeMember(f"the member {str(path)[:80]!r} comes twice")
        if shutil.disk_usage(staging).free < member.size + DISK_RESERVE_BYTES:
            raise BackupError(Message("not enough room on the data partition to restore {name} ({size} MiB): "
                                      "free some space (recordings) first", name=repr(str(path)[:80]),
                                      size=member.size >> 20))
        found[str(path)] = (member.size, _write_member(tar.extractfile(member), staging, path, member))
    return found, checksums


def _write_member(data, staging: Path, path, member: tarfile.TarInfo) -> str:
    target = staging.joinpath(*path.parts)
    directory = staging
    for part in path.parts[:-1]:          # made one by one, never through a link
        directory = directory / part
        try:
            os.mkdir(directory, 0o750)
        except FileExistsError:
            if directory.is_symlink() or not directory.is_dir():
                raise UnsafeMember(f"the member {str(path)[:80]!r} goes through a file of the backup") from None
    digest = hashlib.sha256()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    except FileExistsError:
        raise UnsafeMember(f"the member {str(path)[:80]!r} clashes with another one") from None
    with os.fdopen(fd, "wb") as out:
        while block := data.read(COPY_BLOCK):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.utime(target, (member.mtime, member.mtime))
    except (OverflowError, ValueError, OSError):
        pass                    # a date out of range keeps the time of the restore
    return digest.hexdigest()


def write_file(out: Path, data: Path, *, recordings: bool, passphrase: str | None) -> Manifest:
    """Written beside, fsynced, renamed: a file under the final name is always a whole backup."""
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "wb") as f:
            manifest = write_backup(f, data, recordings=recordings, passphrase=passphrase)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    directory = os.open(out.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return manifest
