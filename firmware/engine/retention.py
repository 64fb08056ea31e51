"""Recordings' retention (ACD15, issue 10 item 8), as a pure policy: which recordings to remove, oldest
first, so that none is older than the days kept and the data partition stays under its limit.

No I/O here: the recordings, the partition's figures and the time are passed in (disk_guard.py is
the shell that reads them, removes the files and marks the rows).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86400.0

TOO_OLD = "older than the days kept"
DISK_LIMIT = "data partition over its limit"


@dataclass(frozen=True)
class Kept:
    """A finished recording still on disk."""
    id: int
    started_at: float
    size: int


@dataclass(frozen=True)
class RetentionPolicy:
    keep_days: int | None = None          # None: kept by age forever
    disk_percent: float | None = 80.0     # None: no limit; otherwise removed oldest first above it


def removals(policy: RetentionPolicy, recordings: list[Kept], now: float, used: int, free: int,
             limit: int | None = None) -> list[tuple[int, str]]:
    """(recording id, reason) to remove, oldest first; at most `limit` of them. Removing for space
    stops as soon as the partition's use, less what was removed, is at or under the limit. `used`
    and `free` as shutil.disk_usage gives them (free: what the box's programs may still write)."""
    total = used + free
    chosen: list[tuple[int, str]] = []
    oldest_first = sorted(recordings, key=lambda r: (r.started_at, r.id))
    too_old = now - policy.keep_days * DAY if policy.keep_days is not None else None
    allowed = total * policy.disk_percent / 100.0 if policy.disk_percent is not None and total > 0 else None
    for recording in oldest_first:
        if limit is not None and len(chosen) >= limit:
            break
        if too_old is not None and recording.started_at < too_old:
            chosen.append((recording.id, TOO_OLD))
        elif allowed is not None and used > allowed:
            chosen.append((recording.id, DISK_LIMIT))
        else:
            # the oldest left is neither too old nor needed for space: nor is any younger one
            break
        used -= max(recording.size, 0)
    return chosen


def percent_used(used: int, free: int) -> float:
    """As df's Use%: of the space the programs can have (the root-reserved blocks left out)."""
    return 100.0 * used / (used + free) if used + free > 0 else 0.0
