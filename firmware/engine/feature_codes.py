"""What an agent dials on their own phone to change their state without the web (ACD9, ACD10).

    *41      log in to every queue the agent is a member of
    *42      log out
    *43      pause for the first reason of the box's list (settings: pause reasons)
    *43N     pause for reason number N of that list (1 is the first)
    *44      back from the pause
    *45      end the wrap-up now

The edge lets only an authenticated agent's phone dial them (kamailio.cfg, X-Callbox-Agent). The
box answers, says what it did (or that it could not) and hangs up. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "*4"
ACTIONS = {"1": "login", "2": "logout", "3": "pause", "4": "unpause", "5": "wrapup-end"}
# What the phone hears after each action went through; a refusal is "feature-refused".
CONFIRMATIONS = {"login": "agent-logged-in", "logout": "agent-logged-out", "pause": "agent-paused",
                 "unpause": "agent-available", "wrapup-end": "agent-wrapup-ended"}
REFUSED = "feature-refused"


@dataclass(frozen=True)
class FeatureCode:
    action: str                 # one of ACTIONS' values
    reason_number: int = 1      # for "pause": the place of the reason in the box's list, from 1


def parse(dialled: str) -> FeatureCode | None:
    """The feature the digits ask for; None if they are not a feature code."""
    if not dialled.startswith(PREFIX) or len(dialled) < len(PREFIX) + 1:
        return None
    action = ACTIONS.get(dialled[len(PREFIX)])
    rest = dialled[len(PREFIX) + 1:]
    if action is None:
        return None
    if not rest:
        return FeatureCode(action)
    if action == "pause" and rest.isdigit() and 0 < int(rest) <= 99:
        return FeatureCode(action, int(rest))
    return None
