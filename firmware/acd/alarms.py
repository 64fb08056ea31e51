"""Alarm hysteresis: an alarm raises past one threshold and clears only past another, so it never flaps."""

from __future__ import annotations

from firmware.acd.actions import ClearAlarm, RaiseAlarm

# An alarm's detail by its code (the alarm's name): English for the logs and the store; the store
# keeps the parameters too, and the notices and the web word them (firmware/notify/texts.py).
DETAILS = {
    "few-agents": "{agents} agents logged in",
    "long-wait": "longest wait {seconds} s",
    "service-level-at-risk": "predicted service level {level:.0%}",
    "pause-too-long": "paused ({reason}) for {seconds} s",
}


def hysteresis(active: bool, raise_when: bool, clear_when: bool) -> bool:
    """The new state of an alarm: raised on `raise_when`, then held until `clear_when`."""
    if not active:
        return raise_when
    return not clear_when


def transition(states: dict[str, bool], name: str, subject: str, active: bool, detail: str,
               out: list) -> None:
    """Records the alarm's new state and emits RaiseAlarm/ClearAlarm on a change."""
    if states.get(name, False) == active:
        return
    states[name] = active
    out.append(RaiseAlarm(name, subject, detail) if active else ClearAlarm(name, subject))
