"""Calls from an agent's own phone to the box: feature codes (firmware/engine/feature_codes.py).

The change goes through the same engine commands as the web's buttons (same checks, kept in the
store, written to the audit log as the phone's), then the phone hears what was done, or that it
could not be, and the box hangs up.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import pjsua2 as pj

from firmware.engine import feature_codes
from firmware.engine.control import CommandError
from firmware.engine.feature_codes import FeatureCode
from firmware.engine.session import Prompts
from firmware.engine.ua import Leg
from firmware.store import queries

if TYPE_CHECKING:
    from firmware.engine.engine import Engine

log = logging.getLogger(__name__)

MEDIA_WAIT = 5.0       # a phone that never sends media is hung up on after this many seconds
AFTER_PROMPT = 0.3     # the last syllable reaches the phone before the BYE does


def carry_out(engine: Engine, agent_id: int, code: FeatureCode) -> str:
    """Does what the code asks for the agent; returns the audit detail. Raises CommandError with
    the reason when it cannot be done (not a member of any queue, not logged in, not in wrap-up...)."""
    agent = {"agent_id": agent_id}
    if code.action == "login":
        queue_ids = [q for q in queries.agent_queue_ids(engine.store, agent_id) if q in engine.queues]
        if not queue_ids:
            raise CommandError("the agent is not a member of any queue")
        logged_in = engine.commands["agent_login"]({**agent, "queue_ids": queue_ids})["queue_ids"]
        queries.login_agent(engine.store, agent_id, queue_ids)     # as the web does: the next engine knows
        return f"queues={logged_in}"
    if code.action == "logout":
        engine.commands["agent_logout"](agent)
        queries.logout_agent(engine.store, agent_id)
        return ""
    if code.action == "pause":
        choices = engine.pause_reason_choices
        if not 1 <= code.number <= len(choices):
            raise CommandError(f"there is no pause reason {code.number}")
        reason = choices[code.number - 1]
        engine.commands["agent_pause"]({**agent, "reason": reason})
        return f"reason={reason}"
    if code.action == "unpause":
        engine.commands["agent_unpause"](agent)
        return ""
    if code.action == "classify":
        return _classify(engine, agent_id, code.number)
    engine.commands["wrapup_end"](agent)
    return ""


def _classify(engine: Engine, agent_id: int, number: int) -> str:
    if not 1 <= number <= len(engine.dispositions):
        raise CommandError(f"there is no disposition {number}")
    disposition = engine.dispositions[number - 1]["code"]
    acd_agent = engine.acd.agents.get(agent_id)
    call_id = acd_agent.unclassified_call if acd_agent and acd_agent.unclassified_call is not None \
        else queries.last_answered_call(engine.store, agent_id)
    if call_id is None:
        raise CommandError("the agent has answered no call to classify")
    queries.classify_call(engine.store, call_id, disposition, "", agent_id)
    engine.commands["call_classified"]({"agent_id": agent_id, "call_id": call_id})
    return f"call={call_id} disposition={disposition}"


class FeatureCall:
    """An agent's phone that dialled a feature code: answered, told the result, hung up."""

    def __init__(self, engine: Engine, leg: Leg, prompt: str):
        self.engine, self.leg, self.prompt = engine, leg, prompt
        leg.owner = self
        self.prompts = Prompts(engine, leg)
        self.hang_up_at: float | None = None
        self.give_up_at = time.monotonic() + MEDIA_WAIT
        self.ended = False

    def answer(self) -> None:
        prm = pj.CallOpParam()
        prm.statusCode = 200
        try:
            self.leg.answer(prm)
        except pj.Error as exc:
            log.error("cannot answer a feature code call: %s", exc.info())
            self.hang_up()

    def leg_media(self, leg: Leg) -> None:
        if self.hang_up_at is None:
            self.hang_up_at = self.prompts.play([self.prompt], time.monotonic()) + AFTER_PROMPT

    def leg_state(self, leg: Leg, info: pj.CallInfo) -> None:
        if leg.disconnected:
            self._end()

    def leg_dtmf(self, leg: Leg, digit: str) -> None:
        pass                    # nothing to choose: the code said it all

    def tick(self, now: float) -> None:
        if now >= (self.hang_up_at if self.hang_up_at is not None else self.give_up_at):
            self.hang_up()

    def hang_up(self, cause: str = "") -> None:
        self.leg.hangup_quietly()
        self._end()

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self.prompts.stop()
            self.engine.feature_call_ended(self)


def agent_dialled(engine: Engine, leg: Leg, extension: str, dialled: str) -> FeatureCall | None:
    """A call from agent `extension`'s phone (authenticated by the edge) to `dialled`: a feature
    code is carried out and answered; anything else is refused with 404 (None)."""
    agent_id = next((i for i, a in engine.agents.items() if a["extension"] == extension), None)
    code = feature_codes.parse(dialled)
    if agent_id is None or code is None:
        log.info("agent %s dialled %r: not a feature code", extension, dialled)
        return None
    try:
        detail = carry_out(engine, agent_id, code)
    except CommandError as exc:
        log.info("agent %s dialled %s (%s): refused: %s", extension, dialled, code.action, exc)
        prompt = feature_codes.REFUSED
    else:
        log.info("agent %s dialled %s: %s %s", extension, dialled, code.action, detail)
        queries.audit(engine.store, f"phone {extension}", feature_codes.AUDIT_ACTIONS[code.action],
                      f"agent={extension} {detail}".strip())
        prompt = feature_codes.CONFIRMATIONS[code.action]
    call = FeatureCall(engine, leg, prompt)
    call.answer()
    return call
