"""Where the box keeps its data: one directory, `$CALLBOX_DATA` (default `./var`)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("CALLBOX_DATA", "var")).resolve()


def database_path() -> Path:
    return data_dir() / "callbox.db"


def recordings_dir() -> Path:
    return data_dir() / "recordings"


def prompts_dir() -> Path:
    return data_dir() / "prompts"


def run_dir() -> Path:
    """Sockets, pid files and rendered configuration: recreated at every start."""
    return data_dir() / "run"


def log_dir() -> Path:
    return data_dir() / "log"


def engine_socket_path() -> Path:
    return run_dir() / "engine.sock"


def ensure_layout() -> Path:
    root = data_dir()
    for d in (root, recordings_dir(), prompts_dir(), run_dir(), log_dir()):
        d.mkdir(parents=True, exist_ok=True)
    return root
