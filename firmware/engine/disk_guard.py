"""The data partition's guard (ACD15, issue 10 item 8): recordings' retention enforced before the
partition fills, and the disk-full alarm when it passes its threshold anyway.

Run from the engine's loop every CHECK_INTERVAL: the recordings' rows are the engine's (one writer),
and the alarm goes through the engine's alarm book like the queues' (the notifier sends its notices).
A removed recording keeps its row (removed_at, removed_reason): the call's record still says it was
recorded and that retention removed the file.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.acd import ClearAlarm, RaiseAlarm
from firmware.acd.alarms import hysteresis
from firmware.engine.alarm_book import AlarmBook
from firmware.engine.retention import Kept, RetentionPolicy, percent_used, removals
from firmware.message import coded
from firmware.store import queries

log = logging.getLogger(__name__)

CHECK_INTERVAL = 30.0
ALARM = "disk-full"
SUBJECT = "data partition"
CLEAR_BELOW = 5.0             # percentage points under the threshold before the alarm clears (no flapping)
REMOVALS_PER_CHECK = 200      # unlinks are quick, but the loop carries calls: a backlog goes over several checks
CANDIDATES = 1000             # oldest recordings read per check

# settings (the `settings` table): key -> (default, lowest, highest); None turns a limit off
SETTINGS = {
    "disk_alarm_percent": (85, 50, 99),
    "recordings_keep_days": (None, 1, 36500),
    "recordings_disk_percent": (80, 10, 99),
}
DETAILS = {ALARM: "data partition {percent}% full, {free_mb} MB free"}

Usage = Callable[[Path], Any]      # shutil.disk_usage: (total, used, free) in bytes


_refused: set[tuple[str, str]] = set()      # logged once each, not at every check


def setting(store: sqlite3.Connection, key: str) -> int | None:
    """A stored whole number in its range; the default (logged once) for anything else."""
    default, low, high = SETTINGS[key]
    raw = queries.get_setting(store, key)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if text.lower() in ("off", "none") and key != "disk_alarm_percent":    # the alarm cannot be turned off
        return None
    if text.isascii() and text.isdigit() and low <= int(text) <= high:
        return int(text)
    if (key, raw) not in _refused:
        _refused.add((key, raw))
        log.error("setting %s=%r refused (a whole number %d..%d, or off); using %s", key, raw, low, high, default)
    return default


class DiskGuard:
    def __init__(self, store: sqlite3.Connection, alarms: AlarmBook, data_dir: Path,
                 usage: Usage = shutil.disk_usage):
        self.store, self.alarms, self.data_dir, self.usage = store, alarms, data_dir, usage
        self.next_check = 0.0          # the first turn checks: an alarm open before a restart is raised again in its grace
        self.alarm_percent: int | None = None     # the figure of the open alarm; None while none is open

    def check(self, now: float) -> None:
        if now < self.next_check:
            return
        self.next_check = now + CHECK_INTERVAL
        try:
            self.enforce_retention(time.time())
            self.update_alarm()
        except OSError as exc:
            log.error("data partition check failed: %s", exc)

    def enforce_retention(self, wall_now: float) -> int:
        policy = RetentionPolicy(keep_days=setting(self.store, "recordings_keep_days"),
                                 disk_percent=setting(self.store, "recordings_disk_percent"))
        usage = self.usage(self.data_dir)
        rows = queries.kept_recordings(self.store, CANDIDATES)
        kept = [Kept(row["id"], row["started_at"], row["bytes"] or 0) for row in rows]
        paths = {row["id"]: row["path"] for row in rows}
        chosen = removals(policy, kept, wall_now, usage.used, usage.free, limit=REMOVALS_PER_CHECK)
        for recording_id, reason in chosen:
            path = self._inside_data(paths[recording_id])
            if path is not None:
                path.unlink(missing_ok=True)
            queries.mark_recording_removed(self.store, recording_id, wall_now, reason)
        if chosen:
            log.warning("retention removed %d recordings (%s)", len(chosen),
                        ", ".join(sorted({reason for _, reason in chosen})))
        return len(chosen)

    def _inside_data(self, relative: str) -> Path | None:
        """The row's file, only if it lies in the data directory (a row is no licence to unlink elsewhere)."""
        path = (self.data_dir / relative).resolve()
        if not path.is_relative_to(self.data_dir.resolve()):
            log.error("recording path %r is outside the data directory: row marked, no file removed", relative)
            return None
        return path

    def update_alarm(self) -> None:
        threshold = setting(self.store, "disk_alarm_percent") or SETTINGS["disk_alarm_percent"][0]
        usage = self.usage(self.data_dir)
        percent = percent_used(usage.used, usage.free)
        was_active = self.alarm_percent is not None
        active = hysteresis(was_active, percent >= threshold, percent < threshold - CLEAR_BELOW)
        if active and round(percent) != self.alarm_percent:
            # raised again when the figure moves: the detail follows it (no second notice)
            self.alarm_percent = round(percent)
            self.alarms.apply(RaiseAlarm(ALARM, SUBJECT, coded(DETAILS, ALARM, percent=self.alarm_percent,
                                                               free_mb=usage.free // 1_000_000)))
        elif not active and was_active:
            self.alarm_percent = None
            self.alarms.apply(ClearAlarm(ALARM, SUBJECT))
