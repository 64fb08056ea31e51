"""What a backup holds and the rules a restore checks before it writes anything (pure: no I/O).

The file is a tar stream (gzip inside; encrypted around it if a passphrase is given):
    manifest.json                 first: format, firmware version, migration level, date, contents
    database/callbox.db           the SQLite online backup of the live database
    config/...                    $CALLBOX_DATA/config (the console's network setting, callbox.env)
    prompts/...                   $CALLBOX_DATA/prompts: the sounds and prompts the user uploaded
    recordings/...                only when asked for
    checksums.json                last: size and SHA-256 of every file above; a backup without it
                                  was cut short
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath

from firmware.backup.errors import DamagedBackup, NewerBackup, UnsafeMember
from firmware.message import Message
from firmware.version import parse_version

FORMAT = "callbox-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.json"
DATABASE = "database/callbox.db"
# the directories of $CALLBOX_DATA a backup carries, by their names in the archive and on disk
DIRECTORIES = ("config", "prompts", "recordings")

# Bounds for a hostile file: it can name any size in its headers.
MAX_MANIFEST_BYTES = 64 * 1024
MAX_CHECKSUMS_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 500_000
MAX_MEMBER_BYTES = 64 * 1024 ** 3          # one file (the database or a recording)
MAX_NAME_BYTES = 1024
MAX_PART_BYTES = 255                       # one path component, as ext4 allows
MAX_DEPTH = 16


@dataclass(frozen=True)
class Manifest:
    firmware_version: str
    schema_version: int            # the database's migration level
    created_at: float              # seconds since the epoch
    hostname: str
    recordings: bool
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DamagedBackup("the backup's manifest is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DamagedBackup(Message("not a Callbox backup (its manifest names no Callbox format)"))
        if data.get("format_version") != FORMAT_VERSION:
            raise NewerBackup(f"the backup's format {data.get('format_version')!r} is not one this firmware reads "
                              f"({FORMAT_VERSION}): it was made by a newer firmware")
        types = {"firmware_version": str, "schema_version": int, "created_at": (int, float), "hostname": str,
                 "recordings": bool}
        for name, kind in types.items():
            value = data.get(name)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise DamagedBackup(f"the backup's manifest has no valid {name}")
        return cls(firmware_version=data["firmware_version"][:100], schema_version=data["schema_version"],
                   created_at=float(data["created_at"]), hostname=data["hostname"][:100],
                   recordings=data["recordings"])


def check_restorable(manifest: Manifest, firmware_version: str, schema_version: int) -> None:
    """Refuses a backup of a newer firmware (its data may use what this one does not know); the same
    or an older one is fine, its database is migrated forward after the restore."""
    theirs, ours = parse_version(manifest.firmware_version), parse_version(firmware_version)
    if theirs is None:
        raise DamagedBackup(f"the backup names no comparable firmware version ({manifest.firmware_version!r})")
    if ours is None:
        raise NewerBackup(f"this firmware's own version ({firmware_version!r}) is unknown, so no backup "
                          "can be checked against it")
    if theirs > ours:
        raise NewerBackup(Message("the backup was made by firmware {theirs}, newer than this box's {ours}: update "
                                  "the box first (no restore onto an older firmware)",
                                  theirs=manifest.firmware_version, ours=firmware_version))
    if manifest.schema_version > schema_version:
        raise NewerBackup(Message("the backup's database is at migration {theirs}, this firmware knows {ours} at "
                                  "most: update the box first", theirs=manifest.schema_version, ours=schema_version))


def member_path(name: str) -> PurePosixPath:
    """The relative path a member of the archive may be written at, or UnsafeMember: no absolute
    path, no `.`/`..`, no control or odd characters, nothing outside the parts a backup has."""
    shown = name[:80].encode("unicode_escape").decode("ascii")
    if not name or len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise UnsafeMember(f"a member's name is empty or too long ({shown!r})")
    if name.startswith("/") or "\\" in name:
        raise UnsafeMember(f"the member {shown!r} has an absolute path or a backslash")
    parts = name.rstrip("/").split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafeMember(f"the member {shown!r} has an empty, '.' or '..' part")
        if len(part.encode("utf-8", "surrogateescape")) > MAX_PART_BYTES:
            raise UnsafeMember(f"the member {shown!r} has a part longer than {MAX_PART_BYTES} bytes")
        if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in part):
            raise UnsafeMember(f"the member {shown!r} has a control character or bytes that are not UTF-8")
    if len(parts) > MAX_DEPTH:
        raise UnsafeMember(f"the member {shown!r} is nested deeper than {MAX_DEPTH}")
    path = PurePosixPath(*parts)
    if str(path) == DATABASE or (parts[0] in DIRECTORIES and len(parts) > 1):
        return path
    raise UnsafeMember(f"the member {shown!r} is not part of a Callbox backup")


def parse_checksums(raw: bytes) -> dict[str, tuple[int, str]]:
    """checksums.json: {"files": {name: {"size": n, "sha256": hex}}}."""
    try:
        files = json.loads(raw.decode("utf-8"))["files"]
        found = {name: (entry["size"], entry["sha256"]) for name, entry in files.items()}
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise DamagedBackup("the backup's checksums are not readable") from None
    for size, digest in found.values():
        if not isinstance(size, int) or not isinstance(digest, str):
            raise DamagedBackup("the backup's checksums are not readable")
    return found


def checksums_json(files: dict[str, tuple[int, str]]) -> bytes:
    return json.dumps({"files": {name: {"size": size, "sha256": digest}
                                 for name, (size, digest) in files.items()}}).encode()
