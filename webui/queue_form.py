"""A queue's rules as the admin's form and back: flat text values named like the parser's own fields.

Pure functions, no Flask. The form's input names are the field names `parse_queue_settings` reports
in a `SettingsError` ("schedule.weekly.mon", "overflow[1].threshold"), so its errors land next to
the input that caused them. An empty input means "not set": the parser's default applies, and an
untouched form of a queue without rules gives `{}`. Text that is not a number is passed on as text,
so the parser (the one the API and the engine use) is the only judge of a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from firmware.acd.actions import Destination
from firmware.acd.config import CallbackPolicy, Condition, MessageSet, Strategy
from firmware.acd.settings import SettingsError

Values = dict[str, str]

STRATEGIES = tuple(s.value for s in Strategy)
CONDITIONS = tuple(c.value for c in Condition)
DESTINATION_KINDS = Destination.KINDS
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NUMBERS = ("ring_timeout", "retry_delay", "wrapup", "max_no_answer", "sticky_window", "sticky_hold", "weight",
           "handle_time")
CALLBACK_NUMBERS = ("offer_when_wait_over", "max_concurrent", "retry_delay", "max_attempts")
OVERFLOW_FIELDS = ("condition", "threshold", "destination.kind", "destination.target")
EMPTY_OVERFLOW_ROWS = 2     # blank rows below the rules, to add some without JavaScript
CHECKED = "on"              # what a browser sends for a ticked checkbox

# Booleans whose default is true: the form stores them only when they are switched off.
_CALLBACK_FLAGS = {"ask_number": CallbackPolicy.ask_number, "offer_later": CallbackPolicy.offer_later}
_MESSAGE_FLAGS = {"announce_position": MessageSet.announce_position, "announce_wait": MessageSet.announce_wait}

_OVERFLOW_INPUT = re.compile(r"overflow\[(\d+)\]\.(.+)")


def schedule_inputs(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}.timezone", *(f"{prefix}.weekly.{day}" for day in WEEKDAYS), f"{prefix}.holidays",
            f"{prefix}.exceptions")


def overflow_input(row: int, name: str) -> str:
    return f"overflow[{row}].{name}"


TEXT_INPUTS = ("strategy", *NUMBERS, *schedule_inputs("schedule"),
               *(f"callback.{name}" for name in CALLBACK_NUMBERS), "callback.key",
               *schedule_inputs("callback.window"), "messages.first", "messages.repeated", "messages.frequency")
CHECKBOXES = ("announce_agent", "callback", *(f"callback.{name}" for name in _CALLBACK_FLAGS), "messages.no_first",
              *(f"messages.{name}" for name in _MESSAGE_FLAGS))


# --- the submitted form -------------------------------------------------------------------------

def read_form(form: Mapping[str, str]) -> Values:
    """The values the admin typed, trimmed. Overflow rows left empty or marked to remove are
    dropped and the rest numbered from 0, so a rule's index is the parser's `overflow[i]`."""
    values = {name: form.get(name, "").strip() for name in TEXT_INPUTS}
    values.update({name: CHECKED if form.get(name) else "" for name in CHECKBOXES})
    rows = sorted({int(match.group(1)) for match in map(_OVERFLOW_INPUT.fullmatch, form) if match})
    kept = [row for row in rows if not form.get(overflow_input(row, "remove"))
            and any(form.get(overflow_input(row, name), "").strip() for name in OVERFLOW_FIELDS)]
    for new, old in enumerate(kept):
        for name in OVERFLOW_FIELDS:
            values[overflow_input(new, name)] = form.get(overflow_input(old, name), "").strip()
    return values


def overflow_rows(values: Values, blank: int = 0) -> list[dict[str, str]]:
    """The overflow rules in the values, as rows of {condition, threshold, kind, target}, and `blank` more."""
    rows = []
    while overflow_input(len(rows), "condition") in values:
        row = len(rows)
        rows.append({name.rpartition(".")[2]: values[overflow_input(row, name)] for name in OVERFLOW_FIELDS})
    return rows + [dict.fromkeys(("condition", "threshold", "kind", "target"), "") for _ in range(blank)]


# --- form -> settings ---------------------------------------------------------------------------

def _number(text: str) -> int | float | str:
    """A number if the text is one; otherwise the text itself, for the parser to refuse by name."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _numbers(values: Values, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _number(values[prefix + name]) for name in names if values[prefix + name]}


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text) if word]


def _exceptions(text: str, field: str) -> dict[str, str]:
    """Lines "2026-12-24 08:00-12:00" (a date alone: closed that day) -> {date: hours}."""
    exceptions: dict[str, str] = {}
    for line in filter(None, (line.strip() for line in text.splitlines())):
        day, _, hours = line.partition(" ")
        if day in exceptions:
            raise SettingsError(field, f"{day} is given twice")
        exceptions[day] = hours.strip()
    return exceptions


def _schedule(values: Values, prefix: str) -> dict[str, Any] | None:
    """None when every input of the schedule is empty; otherwise a schedule in which a day left
    empty is closed (all seven days are written, so the stored rules say so too)."""
    if not any(values[name] for name in schedule_inputs(prefix)):
        return None
    schedule: dict[str, Any] = {}
    if values[f"{prefix}.timezone"]:
        schedule["timezone"] = values[f"{prefix}.timezone"]
    schedule["weekly"] = {day: values[f"{prefix}.weekly.{day}"] for day in WEEKDAYS}
    holidays = _words(values[f"{prefix}.holidays"])
    if holidays:
        schedule["holidays"] = holidays
    exceptions = _exceptions(values[f"{prefix}.exceptions"], f"{prefix}.exceptions")
    if exceptions:
        schedule["exceptions"] = exceptions
    return schedule


def _overflow_rule(row: dict[str, str]) -> dict[str, Any]:
    """Only what was given: a missing condition or kind is the parser's error, a missing threshold its 0."""
    rule: dict[str, Any] = {}
    if row["condition"]:
        rule["condition"] = row["condition"]
    if row["threshold"]:
        rule["threshold"] = _number(row["threshold"])
    destination: dict[str, Any] = {}
    if row["kind"]:
        destination["kind"] = row["kind"]
    if row["target"]:
        # a queue is named by its id; any other target (a number, a message) stays text
        is_queue_id = row["kind"] == "queue" and row["target"].isdigit()
        destination["target"] = int(row["target"]) if is_queue_id else row["target"]
    rule["destination"] = destination
    return rule


def _switched_off(values: Values, prefix: str, defaults: dict[str, bool]) -> dict[str, bool]:
    """Booleans that differ from the parser's default, and only those."""
    flags = {name: bool(values[prefix + name]) for name in defaults}
    return {name: flag for name, flag in flags.items() if flag != defaults[name]}


def _callback(values: Values) -> dict[str, Any]:
    callback = _numbers(values, "callback.", CALLBACK_NUMBERS)
    if values["callback.key"]:
        callback["key"] = values["callback.key"]
    window = _schedule(values, "callback.window")
    if window is not None:
        callback["window"] = window
    callback.update(_switched_off(values, "callback.", _CALLBACK_FLAGS))
    return callback


def _messages(values: Values) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    if values["messages.no_first"]:
        messages["first"] = None
    elif values["messages.first"]:
        messages["first"] = values["messages.first"]
    repeated = _words(values["messages.repeated"])
    if repeated:
        messages["repeated"] = repeated
    messages.update(_numbers(values, "messages.", ("frequency",)))
    messages.update(_switched_off(values, "messages.", _MESSAGE_FLAGS))
    return messages


def form_to_settings(values: Values) -> dict[str, Any]:
    """The settings object (as the API takes it) from the form's values; raises SettingsError only
    for what the form itself cannot express (an exception date given twice)."""
    settings: dict[str, Any] = _numbers(values, "", NUMBERS)
    if values["announce_agent"]:
        settings["announce_agent"] = True
    schedule = _schedule(values, "schedule")
    if schedule is not None:
        settings["schedule"] = schedule
    rules = [_overflow_rule(row) for row in overflow_rows(values)]
    if rules:
        settings["overflow"] = rules
    if values["callback"]:
        settings["callback"] = _callback(values)
    messages = _messages(values)
    if messages:
        settings["messages"] = messages
    return settings


# --- settings -> form ---------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))      # 15.0 reads as 15; the parser takes either
    return str(value)


def _schedule_values(schedule: Mapping[str, Any] | None, prefix: str) -> Values:
    schedule = schedule or {}
    weekly = schedule.get("weekly", {})
    values = {f"{prefix}.timezone": schedule.get("timezone", "")}
    values.update({f"{prefix}.weekly.{day}": weekly.get(day, "") for day in WEEKDAYS})
    values[f"{prefix}.holidays"] = "\n".join(schedule.get("holidays", []))
    values[f"{prefix}.exceptions"] = "\n".join(f"{day} {hours}".strip()
                                               for day, hours in schedule.get("exceptions", {}).items())
    return values


def _flags(settings: Mapping[str, Any], prefix: str, defaults: dict[str, bool]) -> Values:
    return {prefix + name: CHECKED if settings.get(name, default) else "" for name, default in defaults.items()}


def settings_to_form(settings: Mapping[str, Any] | None, strategy: str) -> Values:
    """The form's values showing stored settings (what `read_form` would give back for them)."""
    settings = settings or {}
    values: Values = {"strategy": strategy}
    values.update({name: _text(settings.get(name)) for name in NUMBERS})
    values["announce_agent"] = CHECKED if settings.get("announce_agent") else ""
    values.update(_schedule_values(settings.get("schedule"), "schedule"))
    for row, rule in enumerate(settings.get("overflow", [])):
        destination = rule.get("destination", {})
        values.update({overflow_input(row, "condition"): rule.get("condition", ""),
                       overflow_input(row, "threshold"): _text(rule.get("threshold")),
                       overflow_input(row, "destination.kind"): destination.get("kind", ""),
                       overflow_input(row, "destination.target"): _text(destination.get("target"))})
    callback = settings.get("callback")
    values["callback"] = CHECKED if callback is not None else ""
    callback = callback or {}
    values.update({f"callback.{name}": _text(callback.get(name)) for name in CALLBACK_NUMBERS})
    values["callback.key"] = callback.get("key", "")
    values.update(_schedule_values(callback.get("window"), "callback.window"))
    values.update(_flags(callback, "callback.", _CALLBACK_FLAGS))
    messages = settings.get("messages", {})
    values["messages.no_first"] = CHECKED if "first" in messages and messages["first"] is None else ""
    values["messages.first"] = messages.get("first") or ""
    values["messages.repeated"] = "\n".join(messages.get("repeated", []))
    values["messages.frequency"] = _text(messages.get("frequency"))
    values.update(_flags(messages, "messages.", _MESSAGE_FLAGS))
    return values


# --- errors -------------------------------------------------------------------------------------

_ONE_LINE_OF = re.compile(r"(?P<input>.+\.(?:holidays|exceptions))(?:\[(?P<index>\d+)\]|\.(?P<key>.+))")


def error_input(field: str, message: str, settings: Mapping[str, Any]) -> tuple[str | None, str]:
    """The input a parser error belongs to (None: the form as a whole) and its message. A bad line
    of the holidays or exceptions is named in the message, since its input holds several."""
    match = _ONE_LINE_OF.fullmatch(field)
    if match is None:
        return (field if _is_input(field) else None), message
    line = match.group("key")
    if match.group("index") is not None:
        line = _holiday(settings, match.group("input"), int(match.group("index")))
    return match.group("input"), f"{line}: {message}"


def _is_input(name: str) -> bool:
    row = _OVERFLOW_INPUT.fullmatch(name)
    return name in TEXT_INPUTS or name in CHECKBOXES or (row is not None and row.group(2) in OVERFLOW_FIELDS)


def _holiday(settings: Mapping[str, Any], holidays_input: str, index: int) -> str:
    """The holiday at `index` of the list at the input's path ("callback.window.holidays")."""
    node: Any = settings
    for key in holidays_input.split("."):
        node = node[key]
    return str(node[index])
