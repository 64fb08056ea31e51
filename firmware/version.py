"""The firmware's version: one source for the console, backups (a backup names the version that
made it, and a newer one is refused) and updates.

It is `[project].version` of pyproject.toml: the installed package's metadata in development
(`pip install -e .`), else the pyproject.toml the image copies beside the code (/opt/callbox;
the image does not pip-install the box itself)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata

from packaging.version import InvalidVersion, Version

from firmware.config import REPO_ROOT


@cache
def firmware_version() -> str:
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
