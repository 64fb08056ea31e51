"""A callback the ACD places (ACD13, ACD14): the agent's phone rings first; once the agent answers,
the customer is dialled through the trunk their call came in on, and the two are bridged. The
attempt has a CDR of its own (outbound, `callback_of` the call that asked)."""

from __future__ import annotations

import logging
import time

from firmware.engine.call_record import CallRecord
from firmware.engine.calls.common import Bridge, no_answer_reason
from firmware.engine.calls.host import CallHost, RingOffer
from firmware.engine.legs import Leg

log = logging.getLogger(__name__)


class CallbackSession:
    def __init__(self, host: CallHost, record: CallRecord, agent_id: int, number: str, queue_id: int | None):
        self.host = host
        self.asked = record               # the record of the call that asked for the callback
        self.call_id = record.call_id     # the ACD's id of the callback
        self.agent_id = agent_id
        self.number = number
        self.queue_id = queue_id
        self.attempt: CallRecord | None = None   # this attempt's own CDR, opened when the customer is dialled
        self.agent_leg: Leg | None = None
        self.customer_leg: Leg | None = None
        self.bridge: Bridge | None = None
        self.answered = False
        self.ended = False

    def start(self, extension: str) -> None:
        self.asked.event("ring", self.queue_id, self.agent_id, detail="callback")
        request = self.host.acd.callbacks.get(self.call_id)
        offer = RingOffer(self.call_id, self.queue_id, self.number, request.caller_input if request else "",
                          callback=True)
        self.agent_leg = self.host.ring(self, extension, offer)
        if self.agent_leg is None:
            log.warning("callback %s: cannot ring agent %s", self.call_id, extension)
            self.host.acd.agent_no_answer(self.call_id, self.agent_id, time.monotonic(), reason="unreachable")
            self._finish(None)

    def tick(self, now: float) -> None:
        pass

    def stop_ringing(self, agent_id: int, reason: str = "") -> None:
        if agent_id == self.agent_id and not (self.agent_leg and self.agent_leg.confirmed):
            self._finish(None)

    # --- leg events -----------------------------------------------------------------------------

    def leg_media(self, leg: Leg) -> None:
        self._connect()

    def leg_key(self, leg: Leg, digit: str) -> None:
        pass

    def leg_answered(self, leg: Leg) -> None:
        now = time.monotonic()
        if leg is self.agent_leg and self.customer_leg is None:
            self.host.acd.agent_answered(self.call_id, self.agent_id, now)
            self._dial_customer()
        elif leg is self.customer_leg and not self.answered:
            self.answered = True
            self.host.acd.callback_result(self.call_id, True, now)
            if self.attempt is not None:
                self.attempt.answered(self.agent_id)
            self._connect()
        self.host.settle()

    def leg_ended(self, leg: Leg) -> None:
        now = time.monotonic()
        acd = self.host.acd
        status = leg.last_status
        if leg is self.agent_leg:
            if not leg.confirmed:
                acd.agent_no_answer(self.call_id, self.agent_id, now, reason=no_answer_reason(status))
            self._finish("agent-hangup")
        elif leg is self.customer_leg:
            if not self.answered:
                acd.callback_result(self.call_id, False, now, note=f"no answer (sip {status})")
            self._finish("customer-hangup" if self.answered else f"no-answer (sip {status})")
        self.host.settle()

    # --- steps ----------------------------------------------------------------------------------

    def _dial_customer(self) -> None:
        self.attempt = self.host.open_record(self.host.extension_of(self.agent_id), self.number,
                                             direction="outbound", callback_of=self.call_id,
                                             queue_id=self.queue_id)
        self.customer_leg = self.host.dial_out(self, self.number, self.call_id)
        if self.customer_leg is None:
            self.host.acd.callback_result(self.call_id, False, time.monotonic(), note="no trunk to dial out")
            self._finish("no-trunk")

    def _connect(self) -> None:
        if self.bridge is not None or not self.answered or self.attempt is None:
            return
        agent, customer = self.agent_leg, self.customer_leg
        if agent is not None and customer is not None and agent.has_media and customer.has_media:
            # (the agent on the left and the customer on the right, as it always was here)
            self.bridge = Bridge(self.host, self.attempt, agent, customer)

    def _finish(self, cause: str | None) -> None:
        if self.ended:
            return
        self.ended = True
        for leg in (self.agent_leg, self.customer_leg):
            if leg is not None:
                leg.hang_up()
        if self.bridge is not None:
            self.bridge.close()
        if self.answered:
            self.host.acd.call_ended(self.call_id, self.agent_id, time.monotonic())
        if self.attempt is not None:
            self.attempt.close("answered" if self.answered else "failed", cause or "stopped")
        for leg in (self.agent_leg, self.customer_leg):
            if leg is not None:
                leg.release()
        self.host.ended(self)

    def hang_up(self, cause: str) -> None:
        self._finish(cause)

    def describe(self, now: float) -> dict:
        return {"call_id": self.call_id, "number": self.number, "agent_id": self.agent_id,
                "queue_id": self.queue_id, "answered": self.answered}
