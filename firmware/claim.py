"""The claim window's records on the data partition: when the box first started and when its reset
button was last pressed briefly. The web (webui/auth/claim.py) lets a stranger-free first visit
create the admin only within an hour of one of them.

Both live in `$CALLBOX_DATA/config/claim/`: a factory reset removes `config/`, so a wiped box (the
console's menu or the button held 10 s: both need the box in hand) gets a fresh window at its next start.

An instant is kept three ways. A Raspberry Pi has no real-time clock: it boots with a wrong wall
clock that NTP later sets, so within one boot the time between two instants is measured on the
kernel's CLOCK_BOOTTIME (never set, counts through suspend), and only across boots on the wall clock.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from firmware import paths

log = logging.getLogger(__name__)

FIRST_START = "first-start"
BUTTON_PRESS = "button-press"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Instant:
    wall: float         # time.time()
    boot_id: str        # the kernel's id of this boot ("" if unknown)
    uptime: float       # CLOCK_BOOTTIME seconds


def now() -> Instant:
    try:
        boot_id = BOOT_ID.read_text().strip()
    except OSError:
        boot_id = ""
    return Instant(time.time(), boot_id, time.clock_gettime(time.CLOCK_BOOTTIME))


def elapsed(earlier: Instant, later: Instant) -> float | None:
    """Seconds from `earlier` to `later`; None when that cannot be known (the wall clock went back)."""
    if earlier.boot_id and earlier.boot_id == later.boot_id:
        seconds = later.uptime - earlier.uptime
    else:
        seconds = later.wall - earlier.wall
    return seconds if seconds >= 0 else None


def claim_dir(data_dir: Path | None = None) -> Path:
    return (data_dir or paths.data_dir()) / "config" / "claim"


def read(path: Path) -> Instant | None:
    """A record, or None if it is missing or not one (a record is small JSON written by this module)."""
    try:
        raw = json.loads(path.read_text())
        instant = Instant(float(raw["wall"]), str(raw["boot_id"]), float(raw["uptime"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return instant


def _write(path: Path, instant: Instant, *, exclusive: bool) -> bool:
    """Writes the record whole (a temporary file renamed over it); with `exclusive`, only if there is
    none yet: of two web workers starting together the first one's record stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(asdict(instant)))
    try:
        if exclusive:
            try:
                os.link(temporary, path)        # fails if the record exists: never replaced
            except FileExistsError:
                return False
            return True
        os.replace(temporary, path)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def stamp_first_start(data_dir: Path | None = None, instant: Instant | None = None) -> Instant:
    """The box's first start, recorded once (by the web at its start: on the image that is the first
    boot, in development the data directory's first `make run`); returns the record in force."""
    path = claim_dir(data_dir) / FIRST_START
    instant = instant or now()
    if read(path) is None:
        path.unlink(missing_ok=True)            # an unreadable record counts as none
        _write(path, instant, exclusive=True)
    return read(path) or instant


def record_button_press(data_dir: Path | None = None, instant: Instant | None = None) -> None:
    """The reset button's short press (firmware/board/listener.py): opens the claim window again.
    Never raises: the press must still restart the services."""
    try:
        _write(claim_dir(data_dir) / BUTTON_PRESS, instant or now(), exclusive=False)
    except OSError as exc:
        log.error("button: cannot record the press for the claim window: %s", exc)


def records(data_dir: Path | None = None) -> list[Instant]:
    """The instants a claim window opened at: the first start and the last short press."""
    folder = claim_dir(data_dir)
    return [found for found in (read(folder / FIRST_START), read(folder / BUTTON_PRESS)) if found is not None]
