"""A queue's rules as stored and sent over the API (a JSON object) turned into `QueueConfig`.

One parser for the web (which refuses bad settings with the field's name) and the engine (which
builds the ACD's configuration from the same rows). Unknown keys are refused, not ignored, so a
typo never silently disables a rule.

    {"ring_timeout": 15, "wrapup": 10, "max_no_answer": 3,
     "overflow": [{"condition": "max-wait", "threshold": 300, "destination": {"kind": "queue", "target": 2}}],
     "callback": {"offer_when_wait_over": 120, "key": "1"},
     "messages": {"first": "queue-first", "repeated": ["queue-repeat"], "frequency": 30},
     "announce_agent": true}

`announce_agent` (TEL8: the caller hears the agent's number when the agent answers) is the engine's,
not the ACD's: it is checked here and read by the engine from the same object.
"""

from __future__ import annotations

from typing import Any

from firmware.acd.actions import Destination
from firmware.acd.config import CallbackPolicy, Condition, MessageSet, OverflowRule, QueueConfig, Strategy


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


def _callback(value: Any) -> CallbackPolicy:
    value = _object(value, "callback", set(_CALLBACK_NUMBERS) | {"key"})
    options = {name: _number(value[name], f"callback.{name}", *_CALLBACK_NUMBERS[name])
               for name in _CALLBACK_NUMBERS if name in value}
    key = value.get("key", "1")
    if not (isinstance(key, str) and len(key) == 1 and key in "0123456789*#"):
        raise SettingsError("callback.key", "must be one DTMF key")
    return CallbackPolicy(key=key, **{k: (int(v) if k in ("max_concurrent", "max_attempts") else float(v))
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
                       set(_NUMBERS) | {"overflow", "callback", "messages", "announce_agent"})
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
    messages = _messages(settings.get("messages", {}))
    config = QueueConfig(
        strategy=strategy_value, overflow=rules, callback=callback, messages=message_set,
        ring_timeout=float(numbers["ring_timeout"]) if "ring_timeout" in numbers else None,
        retry_delay=float(numbers.get("retry_delay", 0.0)), wrapup=float(numbers.get("wrapup", 0.0)),
        max_no_answer=int(numbers.get("max_no_answer", 0)), sticky_window=float(numbers.get("sticky_window", 0.0)),
        sticky_hold=float(numbers.get("sticky_hold", 0.0)), weight=int(numbers.get("weight", 0)),
        handle_time=float(numbers.get("handle_time", 180.0)))
    return config, messages
