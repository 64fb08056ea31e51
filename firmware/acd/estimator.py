"""Estimated wait: position-aware from staffing and handle times, and the Asterisk method to compare."""

from __future__ import annotations

import math

HISTORY_FULL = 200         # handle times averaged plainly up to here, then exponentially
HISTORY_ALPHA = 0.005
PRIOR_WEIGHT = 10          # the configured handle time counts as this many calls


def position_aware_wait(ahead: int, free_agents: int, serving_agents: float, handle_time: float) -> float:
    """Typical (median) wait of a caller with `ahead` callers in front.

    With every serving agent busy, agents free up at a rate of serving/handle_time (memoryless
    handle times), and the caller needs k = ahead + 1 of those releases, less the agents free
    already: the wait is Erlang-k distributed. Its median (about k - 1/3 release intervals) is the
    figure that errs least on average in absolute terms, which is what a caller notices; the mean
    (k intervals) would overshoot for the many callers at the front.
    """
    releases = ahead + 1 - free_agents
    if releases <= 0:
        return 0.0
    if serving_agents <= 0:
        return math.inf
    return erlang_median(releases) * handle_time / serving_agents


def erlang_median(k: int) -> float:
    """Median of a sum of k unit-mean exponentials (Choi's expansion; within 0.01 of exact for k = 1)."""
    return k - 1.0 / 3.0 + 8.0 / (405.0 * k)


def update_handle_time(average: float, count: int, sample: float) -> float:
    """Running mean of talk + wrap-up: plain over the first calls, then exponential to follow change."""
    if count < HISTORY_FULL:
        return average + (sample - average) / (count + 1 + PRIOR_WEIGHT)
    return average + HISTORY_ALPHA * (sample - average)


def asterisk_holdtime(old: float, new_wait: float) -> float:
    """Asterisk's queue hold time: (3 * old + new) / 4 over the waits of answered calls."""
    return (3.0 * old + new_wait) / 4.0


def asterisk_estimate(holdtime: float, waited: float) -> float:
    """What Asterisk announces: the hold time less the time the caller has already waited."""
    return max(0.0, holdtime - waited)


def speakable_wait(seconds: float) -> tuple[str | int, ...]:
    """Prompt parts for an estimate, rounded as people say it: under a minute, whole minutes up to
    10, fives up to 30, tens up to an hour, then 'more than an hour'."""
    if seconds < 60:
        return ("estimated-wait", "less-than", 1, "minutes")
    minutes = seconds / 60.0
    for limit, step in ((10, 1), (30, 5), (60, 10)):
        if minutes <= limit:
            return ("estimated-wait", "about", int(math.ceil(minutes / step) * step), "minutes")
    return ("estimated-wait", "more-than", 1, "hours")
