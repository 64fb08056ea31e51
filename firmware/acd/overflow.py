"""Overflow rules: which rule, if any, sends a call out of its queue, at arrival or while it waits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware.acd.config import Condition, OverflowRule


@dataclass(frozen=True)
class QueueFacts:
    """What the rules look at, measured by the ACD at one instant."""
    is_open: bool
    waiting: int            # live calls already waiting (not counting the new one)
    logged_in: int
    available: int          # idle agents that could take a call now
    estimated_wait: float   # for the new caller


def at_arrival(rules: tuple[OverflowRule, ...], facts: QueueFacts) -> OverflowRule | None:
    """The first rule that refuses a new caller, in the configured order."""
    for rule in rules:
        if _holds_at_arrival(rule, facts):
            return rule
    return None


def _holds_at_arrival(rule: OverflowRule, facts: QueueFacts) -> bool:
    condition = rule.condition
    if condition is Condition.CLOSED:
        return not facts.is_open
    if condition is Condition.MAX_LENGTH:
        return facts.waiting >= rule.threshold
    if condition is Condition.NO_AGENT_LOGGED_IN:
        return facts.logged_in == 0
    if condition is Condition.NO_AGENT_AVAILABLE:
        return facts.available == 0
    if condition is Condition.ESTIMATED_WAIT:
        return facts.estimated_wait > rule.threshold
    if condition is Condition.CALLS_PER_AGENT:
        per_agent = (facts.waiting + 1) / facts.logged_in if facts.logged_in else math.inf
        return per_agent > rule.threshold
    if condition is Condition.MAX_WAIT:
        return rule.threshold <= 0
    raise ValueError(f"unknown overflow condition {condition!r}")


def while_waiting(rules: tuple[OverflowRule, ...], condition: Condition) -> OverflowRule | None:
    """The rule for a condition that can also end a wait (max wait, closing, last agent gone)."""
    for rule in rules:
        if rule.condition is condition:
            return rule
    return None
