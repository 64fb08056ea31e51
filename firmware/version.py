"""The firmware's version: one source for the console, backups (a backup names the version that
made it, and a newer one is refused) and updates.

On the image it is /etc/callbox/version, which the image build writes (pyproject's version and the
commit count, or CALLBOX_VERSION: image/update/common.sh) and update bundles carry. Elsewhere it is
`[project].version` of pyproject.toml: the installed package's metadata in development
(`pip install -e .`), else the pyproject.toml beside the code."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.version import InvalidVersion, Version

from firmware.config import REPO_ROOT


IMAGE_VERSION_FILE = Path("/etc/callbox/version")


@cache
def firmware_version() -> str:
    try:
        return IMAGE_VERSION_FILE.read_text(encoding="ascii").strip()
    except (OSError, UnicodeError):
        pass
    try:
        return metadata.version("callbox")
    except metadata.PackageNotFoundError:
        pass
    try:
        with (REPO_ROOT / "pyproject.toml").open("rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def parse_version(text: str) -> Version | None:
    """A version to compare (PEP 440, as pyproject.toml's), or None when it is not one."""
    try:
        return Version(text)
    except (InvalidVersion, TypeError):
        return None
