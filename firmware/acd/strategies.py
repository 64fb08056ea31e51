"""Distribution strategies and skill matching: which free agent(s) of a queue to ring for a call."""

from __future__ import annotations

import random

from firmware.acd.config import SkillRule, Strategy
from firmware.acd.states import Agent, Queue, WaitingCall


def accepted_level(required: int, waited: float, rules: tuple[SkillRule, ...]) -> int:
    """The level a required skill accepts after `waited` seconds: the rules only ever widen it."""
    level = required
    for rule in rules:
        if waited >= rule.after and rule.min_level < level:
            level = rule.min_level
    return level


def skills_met(agent: Agent, call: WaitingCall, waited: float, rules: tuple[SkillRule, ...]) -> bool:
    skills = agent.config.skills
    for skill, required in call.skills.items():
        level = accepted_level(required, waited, rules)
        if level > 0 and skills.get(skill, 0) < level:
            return False
    return True


def needed_levels(call: WaitingCall, waited: float, rules: tuple[SkillRule, ...]) -> list[tuple[str, int]]:
    """The call's skills with the level each accepts now (skills open to anyone left out)."""
    needed = []
    for skill, required in call.skills.items():
        level = accepted_level(required, waited, rules)
        if level > 0:
            needed.append((skill, level))
    return needed


def has_levels(agent: Agent, needed: list[tuple[str, int]]) -> bool:
    skills = agent.config.skills
    for skill, level in needed:
        if skills.get(skill, 0) < level:
            return False
    return True


def next_widening(waited: float, rules: tuple[SkillRule, ...]) -> float | None:
    """Seconds of wait at which the next rule applies, if any is still ahead."""
    ahead = [rule.after for rule in rules if rule.after > waited]
    return min(ahead) if ahead else None


def skill_score(agent: Agent, call: WaitingCall) -> int:
    skills = agent.config.skills
    return sum(skills.get(skill, 0) for skill in call.skills)


def _rank(queue: Queue, agent_id: int) -> tuple[int, int]:
    order = queue.config.member_order
    return (order.index(agent_id), 0) if agent_id in order else (len(order), agent_id)


def choose(queue: Queue, free: list[Agent], call: WaitingCall, rng: random.Random) -> list[Agent]:
    """The agents to ring, best first; one agent except with ring-all. `free` is not empty."""
    strategy = queue.config.strategy
    if strategy is Strategy.LONGEST_IDLE:
        return [min(free, key=_by_idle)]
    if strategy is Strategy.RING_ALL:
        return sorted(free, key=_by_idle)
    if strategy is Strategy.SEQUENTIAL:
        return [min(free, key=lambda a: _rank(queue, a.id))]
    if strategy is Strategy.ROUND_ROBIN:
        return [_round_robin(queue, free)]
    if strategy is Strategy.FEWEST_CALLS:
        return [min(free, key=lambda a: (a.calls_answered, a.idle_since, a.id))]
    if strategy is Strategy.LEAST_TALK_TIME:
        return [min(free, key=lambda a: (a.talk_time, a.idle_since, a.id))]
    if strategy is Strategy.RANDOM:
        return [rng.choice(sorted(free, key=lambda a: a.id))]
    if strategy is Strategy.WEIGHTED_RANDOM:
        ordered = sorted(free, key=lambda a: a.id)
        weights = [queue.config.member_weights.get(a.id, 1.0) for a in ordered]
        if sum(weights) <= 0:
            return [rng.choice(ordered)]
        return rng.choices(ordered, weights)
    if strategy is Strategy.SKILLS:
        return [min(free, key=lambda a: (-skill_score(a, call), a.idle_since, a.id))]
    raise ValueError(f"unknown strategy {strategy!r}")


def _by_idle(agent: Agent) -> tuple[float, int]:
    return agent.idle_since, agent.id


def _round_robin(queue: Queue, free: list[Agent]) -> Agent:
    """The first free agent after the one offered last, in the configured order, wrapping around."""
    ranked = sorted(free, key=lambda a: _rank(queue, a.id))
    if queue.last_offered is None:
        return ranked[0]
    last = _rank(queue, queue.last_offered)
    for agent in ranked:
        if _rank(queue, agent.id) > last:
            return agent
    return ranked[0]
