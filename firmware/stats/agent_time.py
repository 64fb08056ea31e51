"""An agent's time from their activity (logins, logouts, pauses): logged-in time, pause time per
reason and billable pause time within a window. Pure: the events in, the figures out.

A login or pause still open at the window's end counts up to it; the state when the window opens
comes from the last events before it (`queries.agent_activity` gives them first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class AgentTime:
    logged_in: float = 0.0
    paused: dict[str, float] = field(default_factory=dict)     # seconds per reason
    billable_paused: float = 0.0

    @property
    def paused_total(self) -> float:
        return sum(self.paused.values())


def agent_time(events: Iterable[Mapping], since: float, until: float) -> AgentTime:
    """`events`: rows with at, activity, reason, billable, oldest first."""
    result = AgentTime()
    login_at: float | None = None
    pause: tuple[float, str, bool] | None = None      # since when, reason, billable
    for event in events:
        at = min(max(event["at"], since), until)
        activity = event["activity"]
        if activity == "login" and login_at is None:
            login_at = at
        elif activity == "logout" and login_at is not None:
            result.logged_in += at - login_at
            login_at = None
        elif activity == "pause" and pause is None:
            pause = (at, event["reason"], bool(event["billable"]))
        elif activity == "pause-end" and pause is not None:
            _add_pause(result, pause, at)
            pause = None
    if login_at is not None:
        result.logged_in += until - login_at
    if pause is not None:
        _add_pause(result, pause, until)
    return result


def _add_pause(result: AgentTime, pause: tuple[float, str, bool], end: float) -> None:
    start, reason, billable = pause
    result.paused[reason] = result.paused.get(reason, 0.0) + end - start
    if billable:
        result.billable_paused += end - start
