"""Stand-by agents (ACD11): when to call them in and when to let them go, with hysteresis."""

from __future__ import annotations

from firmware.acd.config import StandbyPolicy


def wanted(policy: StandbyPolicy, on_since: float | None, now: float, waiting: int, longest_wait: float,
           available: int) -> bool:
    """Whether the stand-by agents should be logged in now; `on_since` is when they were called in."""
    busy = ((policy.on_waiting is not None and waiting >= policy.on_waiting)
            or (policy.on_longest_wait is not None and longest_wait >= policy.on_longest_wait)
            or (policy.on_available_at_most is not None and waiting > 0
                and available <= policy.on_available_at_most))
    if on_since is None:
        return busy
    calm = (waiting <= policy.off_waiting and longest_wait <= policy.off_longest_wait
            and now - on_since >= policy.min_on_seconds)
    return busy or not calm
