"""What the update machinery last did, kept on /data for the web page and the console.

`$CALLBOX_DATA/update/`: `last.json` (the last install, refusal, health check or rollback),
`progress.json` (an install under way), `poll.json` (the last check of the update URL). Each file
is replaced atomically (write, fsync, rename), so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from firmware import paths


def update_dir() -> Path:
    return paths.data_dir() / "update"


def write(name: str, record: dict) -> None:
    directory = update_dir()
    directory.mkdir(parents=True, exist_ok=True)
    record = {**record, "at": int(time.time())}
    partial = directory / f".{name}.json.partial"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump(record, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, directory / f"{name}.json")


def read(name: str) -> dict | None:
    try:
        with open(update_dir() / f"{name}.json", encoding="utf-8") as source:
            record = json.load(source)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def clear(name: str) -> None:
    try:
        (update_dir() / f"{name}.json").unlink()
    except FileNotFoundError:
        pass
