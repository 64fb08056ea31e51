"""The alarm book (ACD15): the ACD's alarms shown in the live status and kept in the `alarms` table,
where the notifier (`callbox notifier`) finds them and sends their notices.

Alarms left open by a previous engine stay open while this one's ACD raises them again (no second
notice); those it does not raise again within ALARM_GRACE of the start are over.
"""

from __future__ import annotations

import logging
import sqlite3

from firmware.acd import ClearAlarm, RaiseAlarm
from firmware.store import queries

log = logging.getLogger(__name__)

ALARM_GRACE = 30.0            # seconds after a start for the ACD to raise again what was open before


class AlarmBook:
    def __init__(self, store: sqlite3.Connection):
        self.store = store
        self.open: dict[tuple[str, str], str] = {}              # (name, subject) -> detail
        self.from_before: set[tuple[str, str]] = set()          # open in the store when this engine started
        self.grace_ends = 0.0

    def take_over(self, now: float) -> None:
        self.from_before = {(a["name"], a["subject"]) for a in queries.open_alarms(self.store)}
        self.grace_ends = now + ALARM_GRACE

    def apply(self, action: RaiseAlarm | ClearAlarm) -> None:
        key = (action.name, action.subject)
        if isinstance(action, RaiseAlarm):
            log.warning("alarm %s on %s: %s", action.name, action.subject, action.detail)
            self.open[key] = action.detail
            self.from_before.discard(key)
            queries.raise_alarm(self.store, action.name, action.subject, action.detail)
        else:
            log.info("alarm %s on %s cleared", action.name, action.subject)
            self.open.pop(key, None)
            queries.clear_alarm(self.store, action.name, action.subject)

    def settle(self, now: float) -> None:
        """Ends, once the grace period is over, what the previous engine left open and this one did not raise."""
        if self.from_before and now >= self.grace_ends:
            for name, subject in self.from_before:
                queries.clear_alarm(self.store, name, subject, "not raised again after the engine restarted")
            self.from_before.clear()

    def describe(self) -> list[dict]:
        return [{"name": name, "subject": subject, "detail": detail}
                for (name, subject), detail in self.open.items()]
