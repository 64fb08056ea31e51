"""How times and durations look: ISO 8601 UTC in the API, the box's local time on pages."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def with_iso_times(row: dict[str, Any]) -> dict[str, Any]:
    """A row for the API: every `*_at` epoch column as an ISO 8601 string."""
    return {k: iso(v) if k.endswith("_at") or k == "since" else v for k, v in row.items()}


def local_time(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
