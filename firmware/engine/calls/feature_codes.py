"""What an agent dials on their own phone to change their state without the web (ACD9, ACD10).

    *41      log in to every queue the agent is a member of
    *42      log out
    *43      pause for the first reason of the box's list (settings: pause reasons)
    *43N     pause for reason number N of that list (1 is the first)
    *44      back from the pause
    *45      end the wrap-up now (refused while the call waits for its classification)
    *46N     classify the agent's call as disposition number N of the box's list (ACD12): the call
             whose classification ends the wrap-up, else the agent's last answered call; *46 is *461

The edge lets only an authenticated agent's phone dial them (kamailio.cfg, X-Callbox-Agent). The
box answers, says what it did (or that it could not) and hangs up. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "*4"
ACTIONS = {"1": "login", "2": "logout", "3": "pause", "4": "unpause", "5": "wrapup-end", "6": "classify"}
NUMBERED = ("pause", "classify")     # these take a place in a list of the box's after the code
# What the phone hears after each action went through; a refusal is "feature-refused".
CONFIRMATIONS = {"login": "agent-logged-in", "logout": "agent-logged-out", "pause": "agent-paused",
                 "unpause": "agent-available", "wrapup-end": "agent-wrapup-ended", "classify": "call-classified"}
# What the audit log calls each, as the web's own entries do.
AUDIT_ACTIONS = {"login": "agent.login", "logout": "agent.logout", "pause": "agent.pause",
                 "unpause": "agent.unpause", "wrapup-end": "agent.wrapup.end", "classify": "call.classify"}
REFUSED = "feature-refused"


@dataclass(frozen=True)
class FeatureCode:
    action: str                 # one of ACTIONS' values
    number: int = 1             # for NUMBERED actions: the place in the box's list, from 1


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
    if action in NUMBERED and rest.isdigit() and 0 < int(rest) <= 99:
        return FeatureCode(action, int(rest))
    return None
