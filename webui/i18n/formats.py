"""Numbers, times and durations in the page's locale (Babel's CLDR data). Times are the box's
local time; the API's are ISO 8601 UTC (webui/format.py)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_date, format_datetime, format_decimal, format_percent


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()


def local_time(ts: float | None) -> str:
    """ "Dec 3, 2026, 1:47:14 PM", "3 dec. 2026 13:47:14", "03.12.2026, 13:47:14", "2026年12月3日 13:47:14" """
    if ts is None:
        return ""
    moment = _local(ts)
    return format_datetime(moment.replace(tzinfo=None), "medium")


def local_date(ts: float | None) -> str:
    return "" if ts is None else format_date(_local(ts).date(), "medium")


def duration(seconds: float | None) -> str:
    """m:ss or h:mm:ss, as wallboards show a wait in every one of the box's languages."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value)


def percent(fraction: float | None) -> str:
    return "" if fraction is None else format_percent(fraction)
