"""The box's time zone, chosen in the web's first-run wizard and kept on the data partition
(`config/timezone`; the root is read-only). `callbox run` exports it as TZ, so every program of the
box (pages' times, the engine's clock for opening hours without a zone of their own, logs) uses it."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

from firmware import paths


def time_zone_file(data_dir: Path | None = None) -> Path:
    return (data_dir or paths.data_dir()) / "config" / "timezone"


def configured(data_dir: Path | None = None) -> str | None:
    """The zone kept on the data partition, if it is one of the zone database's."""
    try:
        zone = time_zone_file(data_dir).read_text().strip()
        zoneinfo.ZoneInfo(zone)
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    return zone


def export_time_zone(data_dir: Path | None = None) -> str | None:
    """TZ for this process and the programs it starts: the box's setting wins over the machine's."""
    zone = configured(data_dir)
    if zone is not None:
        os.environ["TZ"] = zone
    return zone
