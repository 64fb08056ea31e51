"""The session signing key: made once per box, kept in the data directory, never defaulted."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create(path: Path) -> str:
    """Reads the key, or makes it on the first start (every gunicorn worker may race here)."""
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = _create(path)
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one made")
    return key


def _create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        # link() never replaces: the first worker's key wins and the others read it.
        try:
            os.link(scratch, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        os.unlink(scratch)
    return key
