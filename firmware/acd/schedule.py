"""Opening hours: a weekly plan, holidays and dated exceptions in the queue's own time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.time, dt.time]     # [start, end); end 00:00 means midnight at the end of the day


def hours(text: str) -> tuple[Interval, ...]:
    """Parses "08:00-12:00,13:00-17:30" (empty text: closed all day)."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        start, end = part.split("-")
        intervals.append((dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())))
    return tuple(intervals)


@dataclass
class Schedule:
    """Open when the time of day falls in one of the day's intervals.

    weekly: weekday (0 = Monday) -> intervals. holidays: closed all day (a date, or (month, day) for
    every year). exceptions: a date -> that day's intervals instead of the weekly plan (wins over
    holidays, so an open Sunday or a short Christmas Eve is one entry).
    """
    timezone: str = "UTC"
    weekly: dict[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: set[dt.date | tuple[int, int]] = field(default_factory=set)
    exceptions: dict[dt.date, tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.timezone)

    @classmethod
    def weekdays(cls, text: str, timezone: str = "UTC", saturday: str = "", sunday: str = "") -> Schedule:
        plan = {day: hours(text) for day in range(5)}
        plan[5], plan[6] = hours(saturday), hours(sunday)
        return cls(timezone, plan)

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        if day in self.holidays or (day.month, day.day) in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())

    def is_open(self, epoch_seconds: float) -> bool:
        local = dt.datetime.fromtimestamp(epoch_seconds, self._zone)
        now = local.time().replace(tzinfo=None)
        for start, end in self.intervals_on(local.date()):
            if start <= now and (now < end or end == dt.time(0, 0)):
                return True
        return False
