"""Calls from an agent's own phone to the box: feature codes (calls/feature_codes.py).

The change goes through the same engine commands as the web's buttons (same checks, kept in the
store, written to the audit log as the phone's), then the phone hears what was done, or that it
could not be, and the box hangs up.
"""

from __future__ import annotations

import logging
import time

from firmware.engine.calls import feature_codes
from firmware.engine.calls.common import Prompts
from firmware.engine.calls.feature_codes import FeatureCode
from firmware.engine.calls.host import CallHost
from firmware.engine.commands import Commands
from firmware.engine.control import CommandError
from firmware.engine.legs import Leg, LegError
from firmware.store import queries

log = logging.getLogger(__name__)

MEDIA_WAIT = 5.0       # a phone that never sends media is hung up on after this many seconds
AFTER_PROMPT = 0.3     # the last syllable reaches the phone before the BYE does


def carry_out(commands: Commands, agent_id: int, code: FeatureCode) -> str:
    """Does what the code asks for the agent; returns the audit detail. Raises CommandError with
    the reason when it cannot be done (not a member of any queue, not logged in, not in wrap-up...)."""
    configuration = commands.host.configuration
    store = commands.host.store
    if code.action == "login":
        queue_ids = [q for q in queries.agent_queue_ids(store, agent_id) if q in configuration.queues]
        if not queue_ids:
            raise CommandError("the agent is not a member of any queue")
        logged_in = commands.agent_login(agent_id=agent_id, queue_ids=queue_ids)["queue_ids"]
        return f"queues={logged_in}"
    if code.action == "logout":
        commands.agent_logout(agent_id=agent_id)
        return ""
    if code.action == "pause":
        choices = configuration.pause_reason_choices
        if not 1 <= code.number <= len(choices):
            raise CommandError(f"there is no pause reason {code.number}")
        reason = choices[code.number - 1]
        commands.agent_pause(agent_id=agent_id, reason=reason)
        return f"reason={reason}"
    if code.action == "unpause":
        commands.agent_unpause(agent_id=agent_id)
        return ""
    if code.action == "classify":
        return _classify(commands, agent_id, code.number)
    commands.wrapup_end(agent_id=agent_id)
    return ""


def _classify(commands: Commands, agent_id: int, number: int) -> str:
    dispositions = commands.host.configuration.dispositions
    if not 1 <= number <= len(dispositions):
        raise CommandError(f"there is no disposition {number}")
    disposition = dispositions[number - 1]["code"]
    acd_agent = commands.host.acd.agents.get(agent_id)
    call_id = acd_agent.unclassified_call if acd_agent and acd_agent.unclassified_call is not None \
        else queries.last_answered_call(commands.host.store, agent_id)
    if call_id is None:
        raise CommandError("the agent has answered no call to classify")
    commands.call_classify(call_id=call_id, disposition=disposition, note="", by_agent=agent_id)
    return f"call={call_id} disposition={disposition}"


class FeatureCall:
    """An agent's phone that dialled a feature code: answered, told the result, hung up."""

    def __init__(self, host: CallHost, leg: Leg, prompt: str):
        self.host, self.leg, self.prompt = host, leg, prompt
        leg.owner = self
        self.prompts = Prompts(host, leg)
        self.hang_up_at: float | None = None
        self.give_up_at = time.monotonic() + MEDIA_WAIT
        self.ended = False

    def answer(self) -> None:
        try:
            self.leg.answer()
        except LegError as exc:
            log.error("cannot answer a feature code call: %s", exc)
            self.hang_up()

    def leg_media(self, leg: Leg) -> None:
        if self.hang_up_at is None:
            self.hang_up_at = self.prompts.play([self.prompt], time.monotonic()) + AFTER_PROMPT

    def leg_answered(self, leg: Leg) -> None:
        pass

    def leg_ended(self, leg: Leg) -> None:
        self._end()

    def leg_key(self, leg: Leg, digit: str) -> None:
        pass                    # nothing to choose: the code said it all

    def tick(self, now: float) -> None:
        if now >= (self.hang_up_at if self.hang_up_at is not None else self.give_up_at):
            self.hang_up()

    def hang_up(self, cause: str = "") -> None:
        self.leg.hang_up()
        self._end()

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self.prompts.stop()
            self.leg.release()
            self.host.ended(self)


def agent_dialled(host: CallHost, commands: Commands, leg: Leg, extension: str, dialled: str) -> FeatureCall | None:
    """A call from agent `extension`'s phone (authenticated by the edge) to `dialled`: a feature
    code is carried out and answered; anything else is refused with 404 (None)."""
    agent_id = commands.host.configuration.agent_by_extension(extension)
    code = feature_codes.parse(dialled)
    if agent_id is None or code is None:
        log.info("agent %s dialled %r: not a feature code", extension, dialled)
        return None
    try:
        detail = carry_out(commands, agent_id, code)
    except CommandError as exc:
        log.info("agent %s dialled %s (%s): refused: %s", extension, dialled, code.action, exc)
        prompt = feature_codes.REFUSED
    else:
        log.info("agent %s dialled %s: %s %s", extension, dialled, code.action, detail)
        queries.audit(commands.host.store, f"phone {extension}", feature_codes.AUDIT_ACTIONS[code.action],
                      f"agent={extension} {detail}".strip())
        prompt = feature_codes.CONFIRMATIONS[code.action]
    call = FeatureCall(host, leg, prompt)
    call.answer()
    return call
