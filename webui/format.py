"""How times and durations look: ISO 8601 UTC in the API, the box's local time in the reader's locale on pages."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from webui.i18n import formats


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def with_iso_times(row: dict[str, Any]) -> dict[str, Any]:
    """A row for the API: every `*_at` epoch column as an ISO 8601 string."""
    return {k: iso(v) if k.endswith("_at") or k == "since" else v for k, v in row.items()}


# The pages' formats follow the reader's locale (Babel): webui/i18n/formats.py.
local_time = formats.local_time
duration = formats.duration
