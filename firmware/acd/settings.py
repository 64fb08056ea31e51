"""A queue's rules as stored and sent over the API (a JSON object) turned into `QueueConfig`.

One parser for the web (which refuses bad settings with the field's name) and the engine (which
builds the ACD's configuration from the same rows). Unknown keys are refused, not ignored, so a
typo never silently disables a rule.

    {"ring_timeout": 15, "wrapup": 10, "max_no_answer": 3,
     "overflow": [{"condition": "max-wait", "threshold": 300, "destination": {"kind": "queue", "target": 2}}],
     "callback": {"offer_when_wait_over": 120, "key": "1", "window": {...a schedule...},
                  "ask_number": true, "offer_later": true},
     "schedule": {"timezone": "Europe/Stockholm", "weekly": {"mon": "08:00-12:00,13:00-17:00", ...},
                  "holidays": ["2026-12-25", "01-01"], "exceptions": {"2026-12-24": "08:00-12:00"}},
     "messages": {"first": "queue-first", "repeated": ["queue-repeat"], "frequency": 30},
     "announce_agent": true}

A queue with a `schedule` and no "closed" overflow rule gets one first: outside its hours a caller
hears the "closed" message and is hung up on.

`announce_agent` (TEL8: the caller hears the agent's number when the agent answers) is the engine's,
not the ACD's: it is checked here and read by the engine from the same object.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firmware.acd.actions import Destination
from firmware.acd.config import CallbackPolicy, Condition, MessageSet, OverflowRule, QueueConfig, Strategy
from firmware.acd.schedule import Interval, Schedule, hours


class SettingsError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


_NUMBERS = {"ring_timeout": (1, 600), "retry_delay": (0, 3600), "wrapup": (0, 3600), "max_no_answer": (0, 100),
            "sticky_window": (0, 30 * 86400), "sticky_hold": (0, 600), "weight": (0, 100),
            "handle_time": (1, 7200)}
_CALLBACK_NUMBERS = {"offer_when_wait_over": (0, 86400), "max_concurrent": (1, 100), "retry_delay": (0, 86400),
                     "max_attempts": (1, 20)}
_MESSAGE_KEYS = {"first", "repeated", "frequency", "announce_position", "announce_wait"}


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(field, "must be a number")
    if not low <= value <= high:
        raise SettingsError(field, f"must be between {low} and {high}")
    return value


def _object(value: Any, field: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise SettingsError(field, "must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise SettingsError(f"{field}.{unknown[0]}" if field else unknown[0], "is not a setting")
    return value


def _overflow_rule(rule: Any, field: str) -> OverflowRule:
    rule = _object(rule, field, {"condition", "threshold", "destination"})
    try:
        condition = Condition(rule.get("condition"))
    except ValueError:
        raise SettingsError(f"{field}.condition", f"must be one of {', '.join(c.value for c in Condition)}") from None
    destination = _object(rule.get("destination"), f"{field}.destination", {"kind", "target"})
    kind, target = destination.get("kind"), destination.get("target")
    if kind not in Destination.KINDS:
        raise SettingsError(f"{field}.destination.kind", f"must be one of {', '.join(Destination.KINDS)}")
    if kind == "queue" and (isinstance(target, bool) or not isinstance(target, int)):
        raise SettingsError(f"{field}.destination.target", "must be a queue id")
    if kind == "number" and not (isinstance(target, str) and target.lstrip("+").isdigit()):
        raise SettingsError(f"{field}.destination.target", "must be a phone number")
    threshold = _number(rule.get("threshold", 0), f"{field}.threshold", 0, 86400)
    return OverflowRule(condition, Destination(kind, target), float(threshold))


CLOSED_BY_DEFAULT = OverflowRule(Condition.CLOSED, Destination("hangup", "closed"))
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(value: Any, field: str) -> tuple[Interval, ...]:
    """ "08:00-12:00,13:00-17:30"; empty: closed that day. """
    message = 'must be opening hours like "08:00-12:00,13:00-17:30" (empty: closed)'
    if not isinstance(value, str):
        raise SettingsError(field, message)
    try:
        intervals = hours(value)
    except ValueError:
        raise SettingsError(field, message) from None
    for start, end in intervals:
        if not (start < end or end == dt.time(0, 0)):
            raise SettingsError(field, f"{start:%H:%M}-{end:%H:%M} ends before it starts")
    return intervals


def _date(value: Any, field: str, yearly: bool) -> dt.date | tuple[int, int]:
    try:
        if yearly and isinstance(value, str) and len(value) == 5:
            day = dt.date.fromisoformat(f"2000-{value}")     # a leap year: 02-29 is a valid yearly date
            return day.month, day.day
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SettingsError(field, "must be a date YYYY-MM-DD" + (" or MM-DD (every year)" if yearly else "")) from None


def _schedule(value: Any, field: str) -> Schedule:
    value = _object(value, field, {"timezone", "weekly", "holidays", "exceptions"})
    zone = value.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        raise SettingsError(f"{field}.timezone", "must be a time zone such as Europe/Berlin") from None
    weekly = _object(value.get("weekly", {}), f"{field}.weekly", set(_WEEKDAYS))
    holidays = value.get("holidays", [])
    if not isinstance(holidays, list):
        raise SettingsError(f"{field}.holidays", "must be a list of dates")
    exceptions = value.get("exceptions", {})
    if not isinstance(exceptions, dict):
        raise SettingsError(f"{field}.exceptions", "must be an object of date: opening hours")
    return Schedule(
        zone,
        {day: _hours(weekly[name], f"{field}.weekly.{name}") for day, name in enumerate(_WEEKDAYS) if name in weekly},
        {_date(d, f"{field}.holidays[{i}]", yearly=True) for i, d in enumerate(holidays)},
        {_date(d, f"{field}.exceptions.{d}", yearly=False): _hours(h, f"{field}.exceptions.{d}")
         for d, h in exceptions.items()})


def _callback(value: Any) -> CallbackPolicy:
    value = _object(value, "callback", set(_CALLBACK_NUMBERS) | {"key", "window", "ask_number", "offer_later"})
    options = {name: _number(value[name], f"callback.{name}", *_CALLBACK_NUMBERS[name])
               for name in _CALLBACK_NUMBERS if name in value}
    key = value.get("key", "1")
    if not (isinstance(key, str) and len(key) == 1 and key in "0123456789*#"):
        raise SettingsError("callback.key", "must be one DTMF key")
    window = _schedule(value["window"], "callback.window") if "window" in value else None
    for flag in ("ask_number", "offer_later"):
        if not isinstance(value.get(flag, True), bool):
            raise SettingsError(f"callback.{flag}", "must be true or false")
    return CallbackPolicy(key=key, window=window, ask_number=value.get("ask_number", True),
                          offer_later=value.get("offer_later", True),
                          **{k: (int(v) if k in ("max_concurrent", "max_attempts") else float(v))
                             for k, v in options.items()})


def _messages(value: Any) -> MessageSet:
    value = _object(value, "messages", _MESSAGE_KEYS)
    repeated = value.get("repeated", ["queue-repeat"])
    if not (isinstance(repeated, list) and all(isinstance(m, str) and m for m in repeated)):
        raise SettingsError("messages.repeated", "must be a list of prompt names")
    first = value.get("first", "queue-first")
    if first is not None and not (isinstance(first, str) and first):
        raise SettingsError("messages.first", "must be a prompt name or null")
    frequency = _number(value.get("frequency", 30), "messages.frequency", 5, 3600)
    flags = {}
    for name in ("announce_position", "announce_wait"):
        if name in value and not isinstance(value[name], bool):
            raise SettingsError(f"messages.{name}", "must be true or false")
        flags[name] = value.get(name, name == "announce_position")
    return MessageSet(first=first, repeated=tuple(repeated), frequency=float(frequency), **flags)


def parse_queue_settings(settings: Any, strategy: str = Strategy.LONGEST_IDLE.value,
                         message_set: str | None = None) -> tuple[QueueConfig, MessageSet]:
    """The queue's configuration and its message set; `message_set` names the set in the ACD."""
    settings = _object(settings if settings is not None else {}, "",
                       set(_NUMBERS) | {"overflow", "callback", "messages", "announce_agent", "schedule"})
    if not isinstance(settings.get("announce_agent", False), bool):
        raise SettingsError("announce_agent", "must be true or false")
    try:
        strategy_value = Strategy(strategy)
    except ValueError:
        raise SettingsError("strategy", f"must be one of {', '.join(s.value for s in Strategy)}") from None
    numbers = {name: _number(settings[name], name, *_NUMBERS[name]) for name in _NUMBERS if name in settings}
    overflow = settings.get("overflow", [])
    if not isinstance(overflow, list):
        raise SettingsError("overflow", "must be a list of rules")
    rules = tuple(_overflow_rule(rule, f"overflow[{i}]") for i, rule in enumerate(overflow))
    callback = _callback(settings["callback"]) if "callback" in settings else None
    schedule = _schedule(settings["schedule"], "schedule") if "schedule" in settings else None
    if schedule is not None and not any(rule.condition is Condition.CLOSED for rule in rules):
        rules = (CLOSED_BY_DEFAULT, *rules)     # opening hours mean: outside them, say so and hang up
    messages = _messages(settings.get("messages", {}))
    config = QueueConfig(
        strategy=strategy_value, overflow=rules, callback=callback, messages=message_set, schedule=schedule,
        ring_timeout=float(numbers["ring_timeout"]) if "ring_timeout" in numbers else None,
        retry_delay=float(numbers.get("retry_delay", 0.0)), wrapup=float(numbers.get("wrapup", 0.0)),
        max_no_answer=int(numbers.get("max_no_answer", 0)), sticky_window=float(numbers.get("sticky_window", 0.0)),
        sticky_hold=float(numbers.get("sticky_hold", 0.0)), weight=int(numbers.get("weight", 0)),
        handle_time=float(numbers.get("handle_time", 180.0)))
    return config, messages
