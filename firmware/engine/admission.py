"""The door of inbound calls: a call from the edge is checked (RFC 3261, the edge's assertion, its
SDP) and routed to a queue by the number dialled, or to a feature code when an agent dialled; a
card's line rings into the same routing (firmware.cards).

pjsua2's onIncomingCall only queues the leg here; it is admitted in the loop's turn.
"""

from __future__ import annotations

import logging
from collections import deque

from firmware.engine import call_record, sdp, trunk_calls
from firmware.engine.call_record import CallRecord
from firmware.engine.calls.feature_call import agent_dialled
from firmware.engine.calls.inbound import InboundSession
from firmware.engine.legs import Leg, LegError
from firmware.engine.sipmsg import (SipMessageError, SipRequest, UntrustedRequest, edge_assertion, parse_request,
                                    safe_text, uri_user)

log = logging.getLogger(__name__)


class Admission:
    def __init__(self, engine):
        """`engine`: the Engine (engine.py), which owns the calls admitted here; not imported, as
        it imports this module."""
        self.engine = engine
        self.arrivals: deque = deque()     # (leg, request bytes) from onIncomingCall, answered in the loop

    def incoming_call(self, leg: Leg, message: bytes | None) -> None:
        """pjsua2's onIncomingCall: only takes note. The call is answered or refused in the loop's
        turn (`take_arrivals`), after the callback has returned: pjsua2 2.17 ends an INVITE without
        SDP at once when it is refused from inside the callback, then frees the request a second
        time and aborts (pjsip_rx_data_free_cloned)."""
        self.arrivals.append((leg, message))

    def take_arrivals(self) -> None:
        while self.arrivals:
            leg, message = self.arrivals.popleft()
            if leg.disconnected:          # the caller gave up (CANCEL) before the engine's turn
                leg.release()
                continue
            try:
                self._admit(leg, message)
            except Exception:
                # Whatever went wrong, the caller gets a final reply and the leg does not dangle.
                log.exception("incoming call refused with 500")
                self._refuse(leg, 500)

    def _admit(self, leg: Leg, message: bytes | None) -> None:
        if message is None:
            raise SipMessageError("the request could not be read")
        try:
            request = parse_request(message)
        except SipMessageError as exc:
            log.warning("call refused, not a SIP request by RFC 3261: %s", exc)
            self._refuse(leg, 400)
            return
        try:
            edge = edge_assertion(request)
        except UntrustedRequest as exc:
            log.warning("call refused, forged or missing edge headers: %s", exc)
            self._refuse(leg, 403)
            return
        did = safe_text(uri_user(request.uri))
        if edge.agent is not None:
            if self._sdp_refused(leg, request, f"agent {edge.agent}"):
                return
            call = agent_dialled(self.engine, self.engine.commands, leg, edge.agent, did)
            if call is None:
                self._refuse(leg, 404)
            else:
                self.engine.feature_calls.add(call)
            return
        caller = uri_user(request.text("From")) or "anonymous"
        trunk = self.engine.configuration.trunk_for_source(edge.source)
        if trunk is None:
            log.warning("call from unknown source %s refused", edge.source)
            self._refuse(leg, 403)
            return
        if self._sdp_refused(leg, request, f"trunk {trunk['name']}"):
            return
        did, why = trunk_calls.called_number(trunk, did, uri_user(request.text("To")))
        if why:
            log.info("call from trunk %s to %r: %s", trunk["name"], did, why)
        self._route(leg, trunk, caller, did, request.text("Call-ID"))

    def incoming_card_call(self, leg: Leg, trunk: dict, caller: str) -> None:
        """A card's line rings (firmware.cards): routed like a SIP trunk's call to the trunk's number."""
        try:
            self._route(leg, trunk, caller, trunk.get("number") or "", None)
        except Exception:
            log.exception("card call refused")
            self._refuse(leg, 500)

    def _route(self, leg: Leg, trunk: dict, caller: str, did: str, sip_call_id: str | None) -> None:
        route = self.engine.configuration.routes.get(did)
        if route is None:
            log.info("call to unknown number %r from trunk %s", did, trunk["name"])
            call_record.refused_call(self.engine.store, caller, did, sip_call_id, trunk["id"], "unknown-number")
            self._refuse(leg, 404)
            return
        record = CallRecord.open(self.engine.store, caller, did, sip_call_id=sip_call_id, trunk_id=trunk["id"])
        session = InboundSession(self.engine, leg, record, route["queue_id"], caller, did,
                                 inband_dtmf=trunk.get("dtmf") == "inband", priority=route["priority"])
        self.engine.sessions[record.call_id] = session
        try:
            leg.answer()
        except LegError as exc:
            log.error("cannot answer call %s: %s", record.call_id, exc)
            session.hang_up("answer-failed")
        self.engine.changed()

    def _sdp_refused(self, leg: Leg, request: SipRequest, who: str) -> bool:
        """Refuses with 488 an offer the box cannot use (sdp.offer_refusal)."""
        why = sdp.offer_refusal(request.text("Content-Type"), request.body)
        if why is not None:
            log.warning("call from %s refused with 488: %s", who, why)
            self._refuse(leg, 488)
        return why is not None

    def _refuse(self, leg: Leg, status: int) -> None:
        leg.hang_up(status)
        leg.release()

    def refuse_waiting(self, status: int) -> None:
        """The engine stops: calls not yet admitted get a final reply."""
        while self.arrivals:
            self._refuse(self.arrivals.popleft()[0], status)
