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
     "announce_agent": true,
     "skills": {"de": 5}, "skill_rules": [{"after": 30, "min_level": 3}],
     "member_order": [3, 1, 2], "member_weights": {"3": 2.5}, "auto_pause_reason": "no-answer",
     "alarms": {"min_agents": 2, "sl_goal": 0.8, "sl_target": 20, "max_longest_wait": 180},
     "standby": {"agents": [7, 8], "on_waiting": 5, "off_waiting": 1}}

`skills` are what every call of the queue requires (skill: level 1-10); like `announce_agent` the
engine reads them from the same object (`call_skills`). An agent's own rules (skills, wrap-up,
delays after a missed offer) are parsed by `parse_agent_settings`:

    {"skills": {"de": 7, "sv": 3}, "wrapup": 20, "no_answer_delay": 30, "reject_delay": 10, "busy_delay": 5}

A queue with a `schedule` and no "closed" overflow rule gets one first: outside its hours a caller
hears the "closed" message and is hung up on.

`announce_agent` (TEL8: the caller hears the agent's number when the agent answers) is the engine's,
not the ACD's: it is checked here and read by the engine from the same object.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, NamedTuple, TypeVar
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firmware.acd.actions import Destination
from firmware.acd.config import (AgentConfig, AlarmPolicy, CallbackPolicy, Condition, MessageSet, OverflowRule,
                                 PauseReason, QueueConfig, SkillRule, StandbyPolicy, Strategy)
from firmware.acd.schedule import Interval, Schedule, hours
from firmware.message import Message, N_, coded


# What the parser says, by code: the English wording (the API's and the logs'); the web words the
# same messages in its reader's language (webui.i18n.word, the catalogues in webui/translations).
MESSAGES = {
    "number": N_("must be a number"),
    "between": N_("must be between {low} and {high}"),
    "object": N_("must be an object"),
    "unknown": N_("is not a setting"),
    "one-of": N_("must be one of {choices}"),
    "queue-id": N_("must be a queue id"),
    "phone-number": N_("must be a phone number"),
    "hours": N_('must be opening hours like "08:00-12:00,13:00-17:30" (empty: closed)'),
    "ends-before-start": N_("{start}-{end} ends before it starts"),
    "date": N_("must be a date YYYY-MM-DD"),
    "date-or-yearly": N_("must be a date YYYY-MM-DD or MM-DD (every year)"),
    "timezone": N_("must be a time zone such as Europe/Berlin"),
    "date-list": N_("must be a list of dates"),
    "exceptions": N_("must be an object of date: opening hours"),
    "dtmf-key": N_("must be one DTMF key"),
    "boolean": N_("must be true or false"),
    "prompt-list": N_("must be a list of prompt names"),
    "prompt-or-null": N_("must be a prompt name or null"),
    "whole-number": N_("must be a whole number"),
    "skills": N_("must be an object of skill: level"),
    "skill-names": N_("skill names must be text"),
    "skill-level": N_("must be a level from 1 to 10"),
    "agent-ids": N_("must be a list of agent ids"),
    "agent-twice": N_("names an agent twice"),
    "rule-list": N_("must be a list of rules"),
    "weights": N_("must be an object of agent id: weight"),
    "agent-id": N_("is not an agent id"),
    "standby-agents": N_("must name at least one agent"),
    "standby-threshold": N_("needs a threshold: on_waiting, on_longest_wait or on_available_at_most"),
    "code": N_("must be a short code: a-z, 0-9 and -"),
    "twice": N_("{value} is there twice"),
    "reason-list": N_("must be a list of reasons"),
    "disposition-list": N_("must be a list of at least one disposition"),
    "label": N_("must be a text of at most 60 characters"),
    "short-text": N_("must be a short text"),
}


class SettingsError(ValueError):
    """A setting refused: `field` names it ("overflow[1].threshold"), `message` says why as a code
    of MESSAGES with parameters (firmware.message.Message; its text is English). The web's form
    readers raise it too, with a Message of their own."""

    def __init__(self, field: str, code: str | Message, **params: Any):
        if isinstance(code, Message):
            self.message = code
        elif code in MESSAGES:
            self.message = coded(MESSAGES, code, **params)
        else:
            self.message = Message(code, **params)
        super().__init__(f"{field}: {self.message}")
        self.field = field


_NUMBERS = {"ring_timeout": (1, 600), "retry_delay": (0, 3600), "wrapup": (0, 3600), "max_no_answer": (0, 100),
            "sticky_window": (0, 30 * 86400), "sticky_hold": (0, 600), "weight": (0, 100),
            "handle_time": (1, 7200)}
_CALLBACK_NUMBERS = {"offer_when_wait_over": (0, 86400), "max_concurrent": (1, 100), "retry_delay": (0, 86400),
                     "max_attempts": (1, 20)}
_MESSAGE_KEYS = {"first", "repeated", "frequency", "announce_position", "announce_wait"}


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(field, "number")
    if not low <= value <= high:
        raise SettingsError(field, "between", low=low, high=high)
    return value


def _object(value: Any, field: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise SettingsError(field, "object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise SettingsError(f"{field}.{unknown[0]}" if field else unknown[0], "unknown")
    return value


def _overflow_rule(rule: Any, field: str) -> OverflowRule:
    rule = _object(rule, field, {"condition", "threshold", "destination"})
    try:
        condition = Condition(rule.get("condition"))
    except ValueError:
        raise SettingsError(f"{field}.condition", "one-of", choices=", ".join(c.value for c in Condition)) from None
    destination = _object(rule.get("destination"), f"{field}.destination", {"kind", "target"})
    kind, target = destination.get("kind"), destination.get("target")
    if kind not in Destination.KINDS:
        raise SettingsError(f"{field}.destination.kind", "one-of", choices=", ".join(Destination.KINDS))
    if kind == "queue" and (isinstance(target, bool) or not isinstance(target, int)):
        raise SettingsError(f"{field}.destination.target", "queue-id")
    if kind == "number" and not (isinstance(target, str) and target.lstrip("+").isdigit()):
        raise SettingsError(f"{field}.destination.target", "phone-number")
    threshold = _number(rule.get("threshold", 0), f"{field}.threshold", 0, 86400)
    return OverflowRule(condition, Destination(kind, target), float(threshold))


CLOSED_BY_DEFAULT = OverflowRule(Condition.CLOSED, Destination("hangup", "closed"))
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(value: Any, field: str) -> tuple[Interval, ...]:
    """ "08:00-12:00,13:00-17:30"; empty: closed that day. """
    if not isinstance(value, str):
        raise SettingsError(field, "hours")
    try:
        intervals = hours(value)
    except ValueError:
        raise SettingsError(field, "hours") from None
    for start, end in intervals:
        if not (start < end or end == dt.time(0, 0)):
            raise SettingsError(field, "ends-before-start", start=f"{start:%H:%M}", end=f"{end:%H:%M}")
    return intervals


def _date(value: Any, field: str, yearly: bool) -> dt.date | tuple[int, int]:
    try:
        if yearly and isinstance(value, str) and len(value) == 5:
            day = dt.date.fromisoformat(f"2000-{value}")     # a leap year: 02-29 is a valid yearly date
            return day.month, day.day
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SettingsError(field, "date-or-yearly" if yearly else "date") from None


def _exact_date(value: Any, field: str) -> dt.date:
    day = _date(value, field, yearly=False)
    assert isinstance(day, dt.date)  # only yearly dates come back as (month, day)
    return day


def _schedule(value: Any, field: str) -> Schedule:
    value = _object(value, field, {"timezone", "weekly", "holidays", "exceptions"})
    zone = value.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        raise SettingsError(f"{field}.timezone", "timezone") from None
    weekly = _object(value.get("weekly", {}), f"{field}.weekly", set(_WEEKDAYS))
    holidays = value.get("holidays", [])
    if not isinstance(holidays, list):
        raise SettingsError(f"{field}.holidays", "date-list")
    exceptions = value.get("exceptions", {})
    if not isinstance(exceptions, dict):
        raise SettingsError(f"{field}.exceptions", "exceptions")
    return Schedule(
        zone,
        {day: _hours(weekly[name], f"{field}.weekly.{name}") for day, name in enumerate(_WEEKDAYS) if name in weekly},
        {_date(d, f"{field}.holidays[{i}]", yearly=True) for i, d in enumerate(holidays)},
        {_exact_date(d, f"{field}.exceptions.{d}"): _hours(h, f"{field}.exceptions.{d}")
         for d, h in exceptions.items()})


def _callback(value: Any) -> CallbackPolicy:
    value = _object(value, "callback", set(_CALLBACK_NUMBERS) | {"key", "window", "ask_number", "offer_later"})
    options = {name: _number(value[name], f"callback.{name}", *_CALLBACK_NUMBERS[name])
               for name in _CALLBACK_NUMBERS if name in value}
    key = value.get("key", "1")
    if not (isinstance(key, str) and len(key) == 1 and key in "0123456789*#"):
        raise SettingsError("callback.key", "dtmf-key")
    window = _schedule(value["window"], "callback.window") if "window" in value else None
    for flag in ("ask_number", "offer_later"):
        if not isinstance(value.get(flag, True), bool):
            raise SettingsError(f"callback.{flag}", "boolean")
    return CallbackPolicy(key=key, window=window, ask_number=value.get("ask_number", True),
                          offer_later=value.get("offer_later", True),
                          **_callback_numbers(options))


def _callback_numbers(options: dict[str, float]) -> dict[str, Any]:
    return {k: (int(v) if k in ("max_concurrent", "max_attempts") else float(v)) for k, v in options.items()}


def _messages(value: Any) -> MessageSet:
    value = _object(value, "messages", _MESSAGE_KEYS)
    repeated = value.get("repeated", ["queue-repeat"])
    if not (isinstance(repeated, list) and all(isinstance(m, str) and m for m in repeated)):
        raise SettingsError("messages.repeated", "prompt-list")
    first = value.get("first", "queue-first")
    if first is not None and not (isinstance(first, str) and first):
        raise SettingsError("messages.first", "prompt-or-null")
    frequency = _number(value.get("frequency", 30), "messages.frequency", 5, 3600)
    flags = {}
    for name in ("announce_position", "announce_wait"):
        if name in value and not isinstance(value[name], bool):
            raise SettingsError(f"messages.{name}", "boolean")
        flags[name] = value.get(name, name == "announce_position")
    return MessageSet(first=first, repeated=tuple(repeated), frequency=float(frequency), **flags)


_ALARM_NUMBERS = {"min_agents": (0, 1000), "agents_margin": (0, 100), "sl_target": (1, 3600), "sl_goal": (0, 1),
                  "sl_margin": (0, 1), "max_longest_wait": (1, 86400), "wait_margin": (0, 1),
                  "min_calls": (1, 100_000)}
_STANDBY_NUMBERS = {"on_waiting": (1, 10_000), "on_longest_wait": (1, 86400), "on_available_at_most": (0, 1000),
                    "off_waiting": (0, 10_000), "off_longest_wait": (0, 86400), "min_on_seconds": (0, 86400)}
_INTEGERS = {"min_agents", "agents_margin", "min_calls", "on_waiting", "on_available_at_most", "off_waiting"}
_AGENT_NUMBERS = {"wrapup": (0, 3600), "no_answer_delay": (0, 3600), "reject_delay": (0, 3600),
                  "busy_delay": (0, 3600)}


def _numbers(value: dict, field: str, limits: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """The numbers of `value` named in `limits`, checked; integers where _INTEGERS says so."""
    numbers: dict[str, Any] = {}
    for name, (low, high) in limits.items():
        if name in value:
            where = f"{field}.{name}" if field else name
            number = _number(value[name], where, low, high)
            if name in _INTEGERS and number != int(number):
                raise SettingsError(where, "whole-number")
            numbers[name] = int(number) if name in _INTEGERS else float(number)
    return numbers


def _skills(value: Any, field: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise SettingsError(field, "skills")
    for skill, level in value.items():
        if not skill or not isinstance(skill, str):
            raise SettingsError(field, "skill-names")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise SettingsError(f"{field}.{skill}", "skill-level")
    return dict(value)


def _agent_ids(value: Any, field: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in value):
        raise SettingsError(field, "agent-ids")
    if len(set(value)) != len(value):
        raise SettingsError(field, "agent-twice")
    return tuple(value)


def _skill_rules(value: Any) -> tuple[SkillRule, ...]:
    if not isinstance(value, list):
        raise SettingsError("skill_rules", "rule-list")
    rules = []
    for i, rule in enumerate(value):
        rule = _object(rule, f"skill_rules[{i}]", {"after", "min_level"})
        after = _number(rule.get("after"), f"skill_rules[{i}].after", 0, 86400)
        level = _number(rule.get("min_level"), f"skill_rules[{i}].min_level", 0, 10)
        if level != int(level):
            raise SettingsError(f"skill_rules[{i}].min_level", "whole-number")
        rules.append(SkillRule(float(after), int(level)))
    return tuple(sorted(rules, key=lambda r: r.after))


def _member_weights(value: Any) -> dict[int, float]:
    if not isinstance(value, dict):
        raise SettingsError("member_weights", "weights")
    weights = {}
    for key, weight in value.items():
        if not str(key).isdigit():
            raise SettingsError(f"member_weights.{key}", "agent-id")
        weights[int(key)] = float(_number(weight, f"member_weights.{key}", 0.01, 1000))
    return weights


def _alarms(value: Any) -> AlarmPolicy:
    value = _object(value, "alarms", set(_ALARM_NUMBERS))
    return AlarmPolicy(**_numbers(value, "alarms", _ALARM_NUMBERS))


def _standby(value: Any) -> StandbyPolicy:
    value = _object(value, "standby", set(_STANDBY_NUMBERS) | {"agents"})
    agents = _agent_ids(value.get("agents"), "standby.agents")
    if not agents:
        raise SettingsError("standby.agents", "standby-agents")
    numbers = _numbers(value, "standby", _STANDBY_NUMBERS)
    if not {"on_waiting", "on_longest_wait", "on_available_at_most"} & set(numbers):
        raise SettingsError("standby", "standby-threshold")
    return StandbyPolicy(agents=agents, **numbers)


def call_skills(settings: Any) -> dict[str, int]:
    """What every call of a queue requires, from its (already checked) settings."""
    return dict(settings.get("skills", {})) if isinstance(settings, dict) else {}


def parse_agent_settings(settings: Any) -> AgentConfig:
    settings = _object(settings if settings is not None else {}, "", set(_AGENT_NUMBERS) | {"skills"})
    numbers = _numbers(settings, "", _AGENT_NUMBERS)
    skills = _skills(settings.get("skills", {}), "skills")
    return AgentConfig(skills=skills, wrapup=numbers.get("wrapup"),
                       **{k: v for k, v in numbers.items() if k != "wrapup"})


# Pause reasons (ACD10) when the box has none configured (setting `pause_reasons`).
DEFAULT_PAUSE_REASONS = [
    {"code": "break", "max_seconds": 900}, {"code": "lunch", "max_seconds": 3600},
    {"code": "meeting", "billable": True}, {"code": "training", "billable": True},
    {"code": "admin", "billable": True}, {"code": "no-answer"},
]
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
T = TypeVar("T")


def _new_code(value: Any, field: str, seen: set[str]) -> str:
    """A short code (a-z, 0-9 and -) that its list has not had yet; remembered in `seen`."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise SettingsError(field, "code")
    if value in seen:
        raise SettingsError(field, "twice", value=value)
    seen.add(value)
    return value


def parse_stored(raw: str | None, parse: Callable[[Any], T], default: Any) -> tuple[T, Exception | None]:
    """A setting as the store keeps it (JSON text; None while unset) parsed, or the default parsed
    when it is unset, not JSON or refused: the box runs on the defaults rather than not at all.
    The second value is why the stored one was refused, if it was (for the log)."""
    try:
        return parse(json.loads(raw) if raw else default), None
    except (SettingsError, ValueError) as exc:
        return parse(default), exc


def parse_pause_reasons(value: Any) -> list[PauseReason]:
    """[{"code": "lunch", "billable": false, "max_seconds": 3600}, ...]: the reasons an agent may
    pause for; the max raises an alarm when a pause lasts longer. "no-answer" (the automatic pause
    after missed offers) is always there."""
    if not isinstance(value, list):
        raise SettingsError("pause_reasons", "reason-list")
    reasons, codes = [], set[str]()
    for i, item in enumerate(value):
        item = _object(item, f"pause_reasons[{i}]", {"code", "billable", "max_seconds"})
        code = _new_code(item.get("code"), f"pause_reasons[{i}].code", codes)
        if not isinstance(item.get("billable", False), bool):
            raise SettingsError(f"pause_reasons[{i}].billable", "boolean")
        limit = item.get("max_seconds")
        if limit is not None:
            limit = float(_number(limit, f"pause_reasons[{i}].max_seconds", 60, 86400))
        reasons.append(PauseReason(code, item.get("billable", False), limit))
    if "no-answer" not in codes:
        reasons.append(PauseReason("no-answer"))
    return reasons


# How agents classify their calls (ACD12) when the box has no list configured (setting `dispositions`).
DEFAULT_DISPOSITIONS = [
    {"code": "resolved", "label": "Resolved"}, {"code": "follow-up", "label": "Needs a follow-up"},
    {"code": "sale", "label": "Sale"}, {"code": "no-sale", "label": "No sale"},
    {"code": "complaint", "label": "Complaint"}, {"code": "wrong-number", "label": "Wrong number"},
]


def parse_dispositions(value: Any) -> list[dict[str, str]]:
    """[{"code": "sale", "label": "Sale"}, ...]: what an agent may classify a call as, in the order
    agents see them (a phone's *46N picks number N). The label defaults to the code."""
    if not isinstance(value, list) or not value:
        raise SettingsError("dispositions", "disposition-list")
    found, codes = [], set[str]()
    for i, item in enumerate(value):
        item = _object(item, f"dispositions[{i}]", {"code", "label"})
        code = _new_code(item.get("code"), f"dispositions[{i}].code", codes)
        label = item.get("label", code)
        if not isinstance(label, str) or not label.strip() or len(label) > 60:
            raise SettingsError(f"dispositions[{i}].label", "label")
        found.append({"code": code, "label": label.strip()})
    return found


def parse_queue_settings(settings: Any, strategy: str = Strategy.LONGEST_IDLE.value,
                         message_set: str | None = None) -> tuple[QueueConfig, MessageSet]:
    """The queue's configuration and its message set; `message_set` names the set in the ACD."""
    settings = _object(settings if settings is not None else {}, "",
                       set(_NUMBERS) | {"overflow", "callback", "messages", "announce_agent", "schedule", "skills",
                                        "skill_rules", "member_order", "member_weights", "auto_pause_reason",
                                        "alarms", "standby", "disposition_required"})
    for flag in ("announce_agent", "disposition_required"):
        if not isinstance(settings.get(flag, False), bool):
            raise SettingsError(flag, "boolean")
    try:
        strategy_value = Strategy(strategy)
    except ValueError:
        raise SettingsError("strategy", "one-of", choices=", ".join(s.value for s in Strategy)) from None
    numbers = {name: _number(settings[name], name, *_NUMBERS[name]) for name in _NUMBERS if name in settings}
    overflow = settings.get("overflow", [])
    if not isinstance(overflow, list):
        raise SettingsError("overflow", "rule-list")
    rules = tuple(_overflow_rule(rule, f"overflow[{i}]") for i, rule in enumerate(overflow))
    callback = _callback(settings["callback"]) if "callback" in settings else None
    schedule = _schedule(settings["schedule"], "schedule") if "schedule" in settings else None
    if schedule is not None and not any(rule.condition is Condition.CLOSED for rule in rules):
        rules = (CLOSED_BY_DEFAULT, *rules)     # opening hours mean: outside them, say so and hang up
    messages = _messages(settings.get("messages", {}))
    _skills(settings.get("skills", {}), "skills")
    reason = settings.get("auto_pause_reason", "no-answer")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 40:
        raise SettingsError("auto_pause_reason", "short-text")
    config = QueueConfig(
        strategy=strategy_value, overflow=rules, callback=callback, messages=message_set, schedule=schedule,
        ring_timeout=float(numbers["ring_timeout"]) if "ring_timeout" in numbers else None,
        retry_delay=float(numbers.get("retry_delay", 0.0)), wrapup=float(numbers.get("wrapup", 0.0)),
        max_no_answer=int(numbers.get("max_no_answer", 0)), sticky_window=float(numbers.get("sticky_window", 0.0)),
        sticky_hold=float(numbers.get("sticky_hold", 0.0)), weight=int(numbers.get("weight", 0)),
        handle_time=float(numbers.get("handle_time", 180.0)),
        skill_rules=_skill_rules(settings.get("skill_rules", [])),
        member_order=_agent_ids(settings.get("member_order", []), "member_order"),
        member_weights=_member_weights(settings.get("member_weights", {})), auto_pause_reason=reason.strip(),
        alarms=_alarms(settings["alarms"]) if "alarms" in settings else None,
        standby=_standby(settings["standby"]) if "standby" in settings else None,
        disposition_required=settings.get("disposition_required", False))
    return config, messages


class Reference(NamedTuple):
    """Something a queue's rules name that lives elsewhere: a queue, an agent, a prompt or a pause
    reason. The parser checks the shape; the web checks that the thing exists when the rules are
    saved, and refuses to delete a thing that rules still name."""
    field: str
    kind: str           # "queue", "agent", "prompt" or "pause_reason"
    value: int | str


def references(settings: Any) -> list[Reference]:
    """What these (already parsed, so well-formed) rules refer to, each with its field's name."""
    if not isinstance(settings, dict):
        return []
    found = []
    for i, rule in enumerate(settings.get("overflow", [])):
        destination = rule["destination"]
        field = f"overflow[{i}].destination.target"
        if destination["kind"] == "queue":
            found.append(Reference(field, "queue", destination["target"]))
        elif destination["kind"] == "hangup" and destination.get("target") is not None:
            found.append(Reference(field, "prompt", destination["target"]))
    messages = settings.get("messages", {})
    if messages.get("first"):
        found.append(Reference("messages.first", "prompt", messages["first"]))
    found += [Reference(f"messages.repeated[{i}]", "prompt", name)
              for i, name in enumerate(messages.get("repeated", []))]
    found += [Reference(f"member_order[{i}]", "agent", a) for i, a in enumerate(settings.get("member_order", []))]
    found += [Reference(f"member_weights.{a}", "agent", int(a)) for a in settings.get("member_weights", {})]
    found += [Reference(f"standby.agents[{i}]", "agent", a)
              for i, a in enumerate(settings.get("standby", {}).get("agents", []))]
    if "auto_pause_reason" in settings:
        found.append(Reference("auto_pause_reason", "pause_reason", settings["auto_pause_reason"].strip()))
    return found
