"""Firmware versions: dotted numbers (`0.1.0.412`), compared number by number.

The image build writes the running version to /etc/callbox/version (firmware/version.py reads the
same file for the console and backups) and the same string into the bundle's manifest. Dotted
numbers are a strict subset of PEP 440, so backups order them the same way. Anything else in a
version (letters, a git hash) is refused rather than guessed at: an update that cannot be ordered
against the running one is not installed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# At most 8 parts of at most 9 digits: enough for MAJOR.MINOR.PATCH.BUILD, small enough to refuse junk.
_VERSION = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,7}")
VERSION_FILE = Path("/etc/callbox/version")


def parse_version(text: str) -> tuple[int, ...]:
    """`"0.1.0.412"` -> `(0, 1, 0, 412)`; trailing zero parts do not count (`1.2` == `1.2.0`)."""
    if not _VERSION.fullmatch(text):
        raise ValueError(f"not a firmware version (dotted numbers, e.g. 1.2.0): {text[:40]!r}")
    parts = [int(part) for part in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_file() -> Path:
    return Path(os.environ.get("CALLBOX_VERSION_FILE", VERSION_FILE))


def running_version() -> str:
    """The version of the root file system the box runs, as the build wrote it."""
    return version_file().read_text(encoding="ascii").strip()
