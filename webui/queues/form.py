"""A queue's rules as the admin's form and back: flat text values named like the parser's own fields.

Pure functions, no Flask. The form's input names are the field names `parse_queue_settings` reports
in a `SettingsError` ("schedule.weekly.mon", "overflow[1].threshold"), so its errors land next to
the input that caused them. An empty input means "not set": the parser's default applies, and an
untouched form of a queue without rules gives `{}`. Text that is not a number is passed on as text,
so the parser (the one the API and the engine use) is the only judge of a value.

Skills are one text input ("de=5, sv=3"). Agents are named by id: member order by one select per
place (`member_order[0]`, ...), weights by one input per agent (`member_weights.7`, the parser's own
field), stand-by agents by one checkbox per agent (`standby.agents.7`); the values hold the chosen ids
as text ("7, 8") so they stay one flat dict of strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from firmware.acd.actions import Destination
from firmware.acd.config import CallbackPolicy, Condition, MessageSet, Strategy
from firmware.acd.settings import SettingsError
from firmware.message import Message
from webui.form_values import number_or_text as _number
from webui.form_values import skills_from_text, skills_to_text
from webui.form_values import text_of as _text

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
SKILL_RULE_FIELDS = ("after", "min_level")
EMPTY_SKILL_RULE_ROWS = 2
ALARM_NUMBERS = ("min_agents", "agents_margin", "sl_target", "sl_goal", "sl_margin", "max_longest_wait",
                 "wait_margin", "min_calls")
STANDBY_NUMBERS = ("on_waiting", "on_longest_wait", "on_available_at_most", "off_waiting", "off_longest_wait",
                   "min_on_seconds")
CHECKED = "on"              # what a browser sends for a ticked checkbox

# Booleans whose default is true: the form stores them only when they are switched off.
_CALLBACK_FLAGS = {"ask_number": CallbackPolicy.ask_number, "offer_later": CallbackPolicy.offer_later}
_MESSAGE_FLAGS = {"announce_position": MessageSet.announce_position, "announce_wait": MessageSet.announce_wait}

_OVERFLOW_INPUT = re.compile(r"overflow\[(\d+)\]\.(.+)")
_SKILL_RULE_INPUT = re.compile(r"skill_rules\[(\d+)\]\.(.+)")
_ORDER_INPUT = re.compile(r"member_order\[(\d+)\]")
_WEIGHT_INPUT = re.compile(r"member_weights\.(.+)")
_STANDBY_AGENT_INPUT = re.compile(r"standby\.agents\.(\d+)")


def schedule_inputs(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}.timezone", *(f"{prefix}.weekly.{day}" for day in WEEKDAYS), f"{prefix}.holidays",
            f"{prefix}.exceptions")


def overflow_input(row: int, name: str) -> str:
    return f"overflow[{row}].{name}"


def skill_rule_input(row: int, name: str) -> str:
    return f"skill_rules[{row}].{name}"


def weight_input(agent_id: int | str) -> str:
    return f"member_weights.{agent_id}"


def standby_agent_input(agent_id: int | str) -> str:
    return f"standby.agents.{agent_id}"


TEXT_INPUTS = ("strategy", *NUMBERS, *schedule_inputs("schedule"),
               *(f"callback.{name}" for name in CALLBACK_NUMBERS), "callback.key",
               *schedule_inputs("callback.window"), "messages.first", "messages.repeated", "messages.frequency",
               "skills", "auto_pause_reason", *(f"alarms.{name}" for name in ALARM_NUMBERS),
               *(f"standby.{name}" for name in STANDBY_NUMBERS))
# Inputs made of several (selects, checkboxes) whose ids the values keep as text "7, 8".
AGENT_LISTS = ("member_order", "standby.agents")
# Booleans whose default is false: stored (as true) only when ticked.
FLAGS = ("announce_agent", "disposition_required")
CHECKBOXES = (*FLAGS, "callback", *(f"callback.{name}" for name in _CALLBACK_FLAGS), "messages.no_first",
              *(f"messages.{name}" for name in _MESSAGE_FLAGS))


# --- the submitted form -------------------------------------------------------------------------

def read_form(form: Mapping[str, str]) -> Values:
    """The values the admin typed, trimmed; rows of rules renumbered (see _rows), the agents chosen
    as their ids ("7, 8"), weights only where one was typed."""
    values = {name: form.get(name, "").strip() for name in TEXT_INPUTS}
    values.update({name: CHECKED if form.get(name) else "" for name in CHECKBOXES})
    values.update(_rows(form, _OVERFLOW_INPUT, overflow_input, OVERFLOW_FIELDS))
    values.update(_rows(form, _SKILL_RULE_INPUT, skill_rule_input, SKILL_RULE_FIELDS))
    places = sorted((int(match.group(1)), match.string) for match in map(_ORDER_INPUT.fullmatch, form) if match)
    values["member_order"] = ", ".join(filter(None, (form[name].strip() for _, name in places)))
    ticked = sorted(int(match.group(1)) for match in map(_STANDBY_AGENT_INPUT.fullmatch, form)
                    if match and form[match.string])
    values["standby.agents"] = ", ".join(map(str, ticked))
    values.update({name: form[name].strip() for name in form if _WEIGHT_INPUT.fullmatch(name) and form[name].strip()})
    return values


def _rows(form: Mapping[str, str], pattern: re.Pattern, input_name, fields: tuple[str, ...]) -> Values:
    """Rows of a table (overflow rules, skill rules): those left empty or marked to remove are
    dropped and the rest numbered from 0, so a row's index is the parser's `overflow[i]`."""
    rows = sorted({int(match.group(1)) for match in map(pattern.fullmatch, form) if match})
    kept = [row for row in rows if not form.get(input_name(row, "remove"))
            and any(form.get(input_name(row, name), "").strip() for name in fields)]
    return {input_name(new, name): form.get(input_name(old, name), "").strip()
            for new, old in enumerate(kept) for name in fields}


def overflow_rows(values: Values, blank: int = 0) -> list[dict[str, str]]:
    """The overflow rules in the values, as rows of {condition, threshold, kind, target}, and `blank` more."""
    rows = []
    while overflow_input(len(rows), "condition") in values:
        row = len(rows)
        rows.append({name.rpartition(".")[2]: values[overflow_input(row, name)] for name in OVERFLOW_FIELDS})
    return rows + [dict.fromkeys(("condition", "threshold", "kind", "target"), "") for _ in range(blank)]


def skill_rule_rows(values: Values, blank: int = 0) -> list[dict[str, str]]:
    """The skill rules in the values as rows of {after, min_level}, and `blank` more."""
    rows = []
    while skill_rule_input(len(rows), "after") in values:
        rows.append({name: values[skill_rule_input(len(rows), name)] for name in SKILL_RULE_FIELDS})
    return rows + [dict.fromkeys(SKILL_RULE_FIELDS, "") for _ in range(blank)]


def agent_ids(text: str) -> list[str]:
    """The ids of an agent list's value ("7, 8")."""
    return _words(text)


def weighted_agent_ids(values: Values) -> list[str]:
    return [match.group(1) for match in map(_WEIGHT_INPUT.fullmatch, values) if match]


def agent_choices(agents: list[Mapping[str, Any]], *also: list[str]) -> list[tuple[str, str]]:
    """(id, label) of the agents, and of any id in `also` that names no agent (deleted since, or set
    through the API), so that showing and saving the form keeps it."""
    choices = [(str(agent["id"]), f"{agent['extension']} {agent['name']}") for agent in agents]
    known = {agent_id for agent_id, _ in choices}
    for ids in also:
        for agent_id in ids:
            if agent_id not in known:
                choices.append((agent_id, Message("agent {agent_id} (not listed)", agent_id=agent_id)))
                known.add(agent_id)
    return choices


# --- form -> settings ---------------------------------------------------------------------------

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
            raise SettingsError(field, Message("{day} is given twice", day=day))
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


def _agent_id(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _distribution(values: Values) -> dict[str, Any]:
    """Skills, skill rules, member order and weights, the auto-pause reason: what was given."""
    settings: dict[str, Any] = {}
    skills = skills_from_text(values["skills"], "skills")
    if skills:
        settings["skills"] = skills
    rules = [{name: _number(row[name]) for name in SKILL_RULE_FIELDS if row[name]}
             for row in skill_rule_rows(values)]
    if rules:
        settings["skill_rules"] = rules
    order = [_agent_id(agent_id) for agent_id in agent_ids(values["member_order"])]
    if order:
        settings["member_order"] = order
    weights = {agent_id: _number(values[weight_input(agent_id)]) for agent_id in weighted_agent_ids(values)}
    if weights:
        settings["member_weights"] = weights
    if values["auto_pause_reason"]:
        settings["auto_pause_reason"] = values["auto_pause_reason"]
    return settings


def _standby(values: Values) -> dict[str, Any] | None:
    """None when no agent is ticked and no threshold given; otherwise what was (the parser says
    what is missing)."""
    agents = [_agent_id(agent_id) for agent_id in agent_ids(values["standby.agents"])]
    numbers = _numbers(values, "standby.", STANDBY_NUMBERS)
    if not agents and not numbers:
        return None
    return {"agents": agents, **numbers}


def form_to_settings(values: Values) -> dict[str, Any]:
    """The settings object (as the API takes it) from the form's values; raises SettingsError only
    for what the form itself cannot express (an exception date or a skill given twice)."""
    settings: dict[str, Any] = _numbers(values, "", NUMBERS)
    settings.update({name: True for name in FLAGS if values[name]})
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
    settings.update(_distribution(values))
    alarms = _numbers(values, "alarms.", ALARM_NUMBERS)
    if alarms:
        settings["alarms"] = alarms
    standby = _standby(values)
    if standby is not None:
        settings["standby"] = standby
    return settings


# --- settings -> form ---------------------------------------------------------------------------

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
    values.update({name: CHECKED if settings.get(name) else "" for name in FLAGS})
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
    values.update(_distribution_values(settings))
    alarms = settings.get("alarms", {})
    values.update({f"alarms.{name}": _text(alarms.get(name)) for name in ALARM_NUMBERS})
    standby = settings.get("standby", {})
    values["standby.agents"] = _id_list(standby.get("agents", []))
    values.update({f"standby.{name}": _text(standby.get(name)) for name in STANDBY_NUMBERS})
    return values


def _id_list(ids: list[Any]) -> str:
    return ", ".join(map(str, ids))


def _distribution_values(settings: Mapping[str, Any]) -> Values:
    values = {"skills": skills_to_text(settings.get("skills")),
              "member_order": _id_list(settings.get("member_order", [])),
              "auto_pause_reason": settings.get("auto_pause_reason", "")}
    for row, rule in enumerate(settings.get("skill_rules", [])):
        values.update({skill_rule_input(row, name): _text(rule.get(name)) for name in SKILL_RULE_FIELDS})
    values.update({weight_input(agent_id): _text(weight)
                   for agent_id, weight in settings.get("member_weights", {}).items()})
    return values


# --- errors -------------------------------------------------------------------------------------

_ONE_LINE_OF = re.compile(r"(?P<input>.+\.(?:holidays|exceptions))(?:\[(?P<index>\d+)\]|\.(?P<key>.+))")


# Errors of a group of inputs (or of a whole part) shown once for the group.
GROUPS = ("skill_rules", *AGENT_LISTS, "member_weights", "alarms")
# Errors of a part shown at the input that mends them: stand-by needs an "on" threshold.
_SHOWN_AT = {"standby": "standby.on_waiting"}


def error_input(field: str, message: str, settings: Mapping[str, Any]) -> tuple[str | None, str]:
    """The input a parser error belongs to (None: the form as a whole) and its message. A bad line
    of the holidays or exceptions, or a bad skill, is named in the message, since its input holds several."""
    if field.startswith("skills."):
        return "skills", Message("{skill}: {message}", skill=field.removeprefix("skills."), message=message)
    if field in _SHOWN_AT:
        return _SHOWN_AT[field], message
    match = _ONE_LINE_OF.fullmatch(field)
    if match is None:
        return (field if _is_input(field) else None), message
    line = match.group("key")
    if match.group("index") is not None:
        line = _holiday(settings, match.group("input"), int(match.group("index")))
    return match.group("input"), Message("{line}: {message}", line=line, message=message)


def _is_input(name: str) -> bool:
    row = _OVERFLOW_INPUT.fullmatch(name)
    rule = _SKILL_RULE_INPUT.fullmatch(name)
    return (name in TEXT_INPUTS or name in CHECKBOXES or name in GROUPS or _WEIGHT_INPUT.fullmatch(name) is not None
            or (row is not None and row.group(2) in OVERFLOW_FIELDS)
            or (rule is not None and rule.group(2) in SKILL_RULE_FIELDS))


def _holiday(settings: Mapping[str, Any], holidays_input: str, index: int) -> str:
    """The holiday at `index` of the list at the input's path ("callback.window.holidays")."""
    node: Any = settings
    for key in holidays_input.split("."):
        node = node[key]
    return str(node[index])
