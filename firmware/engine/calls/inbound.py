"""A caller from a trunk through its life: welcome, queue, agents rung, bridge, or leaving by
overflow (another queue, a number, voicemail, a message) or callback.

What the ACD decides is carried out here on the caller's leg and the legs it places; what happens
is told to the ACD and written to the call's record. Driven by leg events and by `tick(now)`.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from firmware.acd import Destination
from firmware.engine.call_record import CallRecord
from firmware.engine.calls.callback_menu import Back, CallbackMenu, Chosen, Play, hour_interval, later_hours
from firmware.engine.calls.common import Bridge, Prompts, no_answer_reason
from firmware.engine.calls.host import CallHost, RingOffer
from firmware.engine.calls.monitor import Monitor
from firmware.engine.calls.voicemail import MAX_MESSAGE_SECONDS, VoicemailRecorder
from firmware.engine.legs import Leg

log = logging.getLogger(__name__)

MENU_SILENCE = 10.0                    # seconds after its prompt a callback menu step waits for a key
MEDIA_WAIT = 5.0                       # should media never come up, the call still moves on to the queue


class Phase(str, enum.Enum):
    WELCOME = "welcome"
    QUEUED = "queued"
    TALKING = "talking"
    LEAVING = "leaving"     # a last message plays, then the box hangs up
    VOICEMAIL = "voicemail"  # the greeting plays, then the caller's message is recorded
    ENDED = "ended"


@dataclass
class Offer:
    agent_id: int
    leg: Leg


class InboundSession:
    def __init__(self, host: CallHost, leg: Leg, record: CallRecord, queue_id: int, caller: str, did: str,
                 inband_dtmf: bool = False, priority: int = 0):
        self.host = host
        self.record = record
        self.priority = priority              # the route's (ACD8): served before lower ones in the queue
        self.inband_dtmf = inband_dtmf        # the trunk sends keys as tones: the hub listens for them
        self.key_leg: int | None = None       # the caller's hub leg for that, taken over by the bridge
        self.caller_leg = leg
        leg.owner = self
        self.call_id = record.call_id         # the CDR's id, also the ACD's call id
        self.queue_id = queue_id
        self.caller = caller
        self.did = did
        self.phase = Phase.WELCOME
        self.prompts = Prompts(host, leg)
        self.offers: dict[int, Offer] = {}
        self.agent_id: int | None = None
        self.agent_leg: Leg | None = None
        self.external_leg: Leg | None = None     # overflow to a number
        self.monitor: Monitor | None = None
        self.bridge: Bridge | None = None
        self.queued_at_mono: float | None = None
        self.caller_input = ""
        self.announcing_until = 0.0           # the agent's number plays to the caller until then
        self.menu: CallbackMenu | None = None  # the caller is choosing a callback (still in the queue)
        self.menu_deadline = 0.0
        self.callback_later = False           # the caller chose an hour: the confirmation says so
        self.voicemail: VoicemailRecorder | None = None
        self.outcome, self.cause = "failed", ""
        self.left_position: int | None = None     # its place in line when the caller left the queue
        self.next_step_at: float | None = time.monotonic() + MEDIA_WAIT

    @property
    def acd(self):
        return self.host.acd

    @property
    def talking(self) -> bool:
        return self.phase == Phase.TALKING

    # --- leg events -----------------------------------------------------------------------------

    def leg_media(self, leg: Leg) -> None:
        now = time.monotonic()
        if leg is self.caller_leg and self.phase == Phase.WELCOME and not self.prompts.playing:
            if self.inband_dtmf and self.key_leg is None:
                self.key_leg = self.host.listen_for_keys(self, leg)
            self.next_step_at = self.prompts.play(["welcome"], now)
        elif leg in (self.agent_leg, self.external_leg):
            self._connect()

    def leg_answered(self, leg: Leg) -> None:
        if leg is self.external_leg:
            self._connect()
            return
        offer = self._offer_of(leg)
        if offer is not None:
            self.acd.agent_answered(self.call_id, offer.agent_id, time.monotonic())
            self.host.settle()

    def leg_ended(self, leg: Leg) -> None:
        if leg is self.caller_leg:
            self._caller_gone()
        elif leg is self.agent_leg or leg is self.external_leg:
            self._end(self.outcome, "agent-hangup" if leg is self.agent_leg else "far-end-hangup")
        else:
            offer = self._offer_of(leg)
            if offer is not None:
                self._drop_offer(offer)
                reason = no_answer_reason(leg.last_status)
                self.record.event("noanswer", self.queue_id, offer.agent_id,
                                  detail=f"{reason} (sip {leg.last_status})", reason=reason,
                                  sip_status=leg.last_status)
                self.acd.agent_no_answer(self.call_id, offer.agent_id, time.monotonic(), reason=reason)
                self.host.settle()

    def leg_key(self, leg: Leg, digit: str) -> None:
        if leg is self.caller_leg and self.phase == Phase.VOICEMAIL and digit == "#":
            self._voicemail_done()
            return
        if leg is not self.caller_leg or self.phase not in (Phase.WELCOME, Phase.QUEUED):
            return
        if self.menu is not None:
            self._menu_step(self.menu.key(digit))
            return
        if self.phase == Phase.QUEUED and self.acd.is_callback_key(self.call_id, digit):
            self._open_callback_menu()
            return
        if len(self.caller_input) < 32 and digit.isdigit():
            self.caller_input += digit
        if self.phase == Phase.QUEUED:
            self.acd.caller_pressed(self.call_id, digit, time.monotonic())
            self.host.settle()
        self.host.changed()

    # --- the clock ------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        if self.menu is not None and now >= self.menu_deadline:
            self._menu_step(self.menu.timeout())
        if self.announcing_until and now >= self.announcing_until:
            self.announcing_until = 0.0
            self._connect()
        if self.next_step_at is None or now < self.next_step_at:
            return
        self.next_step_at = None
        if self.phase == Phase.WELCOME:
            self._enter_queue(now)
        elif self.phase == Phase.LEAVING:
            self._end(self.outcome, self.cause)
        elif self.phase == Phase.VOICEMAIL:
            self._voicemail_step(now)

    # --- what the ACD asks ----------------------------------------------------------------------

    def _enter_queue(self, now: float) -> None:
        self.phase = Phase.QUEUED
        self.queued_at_mono = now
        self.acd.call_arrived(self.call_id, self.queue_id, now, self.caller, caller_input=self.caller_input,
                              skills=self.host.required_skills(self.queue_id), priority=self.priority)
        # After the ACD placed it: the event log's `enter` says where in line the call came in.
        self.record.queued(self.queue_id, self.caller_input, caller=self.caller,
                           position=self.acd.position(self.call_id))
        self.host.changed()

    def play(self, parts: tuple[str | int, ...]) -> None:
        if self.phase == Phase.QUEUED and not self.offers and self.menu is None:
            self.prompts.play(parts, time.monotonic())

    def ring(self, agent_id: int, extension: str) -> None:
        self.record.event("ring", self.queue_id, agent_id)
        leg = self.host.ring(self, extension, RingOffer(self.call_id, self.queue_id, self.caller, self.caller_input))
        if leg is None:
            self.acd.agent_no_answer(self.call_id, agent_id, time.monotonic(), reason="unreachable")
            return
        self.offers[agent_id] = Offer(agent_id, leg)
        self.host.changed()

    def stop_ringing(self, agent_id: int, reason: str = "") -> None:
        """The ACD ends a ring: no answer in time (or the phone went away), or a cancel (answered
        elsewhere, caller gone, overflow), which the event log does not count against the agent."""
        offer = self.offers.get(agent_id)
        if offer is not None:
            self._drop_offer(offer)
            offer.leg.hang_up()
            if reason in ("timeout", "unregistered"):
                self.record.event("noanswer", self.queue_id, agent_id, detail=reason,
                                  reason="timeout" if reason == "timeout" else "unreachable", sip_status=None)

    def bridge_to(self, agent_id: int) -> None:
        """The ACD gave the call to the agent who answered."""
        offer = self.offers.pop(agent_id, None)
        if offer is None:
            log.error("call %s: bridge to agent %s, who was not rung", self.call_id, agent_id)
            return
        self.agent_id, self.agent_leg = agent_id, offer.leg
        self.phase = Phase.TALKING
        self.menu = None              # an agent is free before the caller finished choosing a callback
        self.outcome = "answered"
        self.prompts.stop()
        self.record.answered(agent_id, self.caller_input)
        self.record.event("answer", self.queue_id, agent_id)
        if self.host.announces_agent(self.queue_id):
            # TEL8: "you are speaking with agent 1 0 0 1", then the two are connected.
            extension = self.host.extension_of(agent_id)
            self.announcing_until = self.prompts.play(["agent-intro", *map(int, extension)], time.monotonic())
        self._connect()
        self.host.changed()

    def overflow(self, reason: str, destination: Destination, position: int | None = None) -> None:
        if destination.kind != "queue":
            self.record.left_queue()
        self.record.event("overflow", self.queue_id,
                          detail=f"{reason} -> {destination.kind} {destination.target or ''}".strip(),
                          position=position, reason=reason, destination=destination.kind,
                          target=destination.target)
        self._hang_up_offers()
        if destination.kind == "queue":
            self.queue_id = int(destination.target)
            self.record.moved_to_queue(self.queue_id, self.caller, self.caller_input,
                                       self.acd.position(self.call_id))
        elif destination.kind == "number":
            self._dial_external(str(destination.target), reason)
        elif destination.kind == "voicemail":
            self._voicemail_greeting(reason)
        elif destination.kind != "callback":
            message = destination.target if isinstance(destination.target, str) else "overflow"
            self._leave([message], "overflowed", f"overflow:{reason}")
        self.host.changed()

    def offer_callback(self) -> None:
        self.play(("callback-offer",))

    def callback_registered(self, forced: bool) -> None:
        self.record.left_queue()
        self.record.event("callback", self.queue_id, detail="forced" if forced else "requested", forced=forced)
        self._leave(["callback-confirm-later" if self.callback_later else "callback-confirm"], "overflowed", "callback")

    # --- voicemail ---------------------------------------------------------------------------------

    def _voicemail_greeting(self, reason: str) -> None:
        self.phase = Phase.VOICEMAIL
        self.outcome, self.cause = "overflowed", f"overflow:{reason}"
        self.next_step_at = self.prompts.play(["voicemail-greeting", "tone-beep"], time.monotonic())

    def _voicemail_step(self, now: float) -> None:
        """After the beep the recording starts; at its longest it ends like a '#'."""
        if self.voicemail is None and self.caller_leg.has_media:
            self.voicemail = VoicemailRecorder(self.host, self.record, self.caller_leg)
            if self.voicemail.start():
                self.next_step_at = now + MAX_MESSAGE_SECONDS
                return
        self._voicemail_done()

    def _voicemail_done(self) -> None:
        if self.voicemail is not None:
            self.voicemail.stop()
        self._leave(["voicemail-thanks"], self.outcome, self.cause)

    # --- the caller's callback menu (ACD13) ------------------------------------------------------

    def _open_callback_menu(self) -> None:
        policy = self.acd.queue(self.queue_id).config.callback
        hours = later_hours(time.time(), self._callback_zone(), self._open_for_callbacks) if policy.offer_later \
            else frozenset()
        self.menu = CallbackMenu(self.caller, ask_number=policy.ask_number, later_hours=hours)
        self._menu_step(self.menu.start())

    def _menu_step(self, outcome: Play | Chosen | Back | None) -> None:
        now = time.monotonic()
        if outcome is None:
            self.menu_deadline = now + MENU_SILENCE
        elif isinstance(outcome, Play):
            self.menu_deadline = self.prompts.play(outcome.parts, now) + MENU_SILENCE
        elif isinstance(outcome, Back):
            log.info("call %s: callback menu left: %s", self.call_id, outcome.reason)
            self.menu = None
            self.prompts.stop()
        else:
            self.menu = None
            self.callback_later = outcome.hour is not None
            interval = None
            if outcome.hour is not None:     # the ACD's clock is monotonic
                start, end = hour_interval(time.time(), self._callback_zone(), outcome.hour)
                offset = time.time() - now
                interval = (start - offset, end - offset)
            self.acd.callback_requested(self.call_id, now, number=outcome.number, interval=interval)
            self.host.settle()

    def _callback_zone(self):
        """Hours are the queue's (its opening hours' time zone), else the box's local time."""
        config = self.acd.queue(self.queue_id).config
        for schedule in (config.schedule, config.callback.window if config.callback else None):
            if schedule is not None:
                return ZoneInfo(schedule.timezone)
        return dt.datetime.now().astimezone().tzinfo

    def _open_for_callbacks(self, epoch: float) -> bool:
        config = self.acd.queue(self.queue_id).config
        return all(schedule is None or schedule.is_open(epoch)
                   for schedule in (config.schedule, config.callback.window if config.callback else None))

    # --- supervisor ------------------------------------------------------------------------------

    def start_monitor(self, extension: str, mode: str) -> None:
        """Rings the supervisor's phone; once answered it hears (and may speak) as the mode says."""
        if self.phase != Phase.TALKING or self.bridge is None:
            raise ValueError(f"call {self.call_id} is not connected to an agent")
        if self.monitor is not None:
            raise ValueError(f"call {self.call_id} is already monitored by {self.monitor.extension}")
        monitor = Monitor(self.host, self.bridge, extension, mode, gone=self._monitor_gone)
        monitor.ring()
        self.monitor = monitor

    def _monitor_gone(self) -> None:
        self.monitor = None

    def set_monitor_mode(self, mode: str) -> None:
        if self.monitor is None:
            raise ValueError(f"call {self.call_id} is not monitored")
        self.monitor.set_mode(mode)

    def stop_monitor(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()

    # --- steps ----------------------------------------------------------------------------------

    def _offer_of(self, leg: Leg) -> Offer | None:
        return next((o for o in self.offers.values() if o.leg is leg), None)

    def _drop_offer(self, offer: Offer) -> None:
        self.offers.pop(offer.agent_id, None)
        offer.leg.release()

    def _hang_up_offers(self) -> None:
        for offer in list(self.offers.values()):
            self.stop_ringing(offer.agent_id)

    def _dial_external(self, number: str, reason: str) -> None:
        leg = self.host.dial_out(self, number, self.call_id)
        if leg is None:
            self._leave(["overflow"], "overflowed", f"overflow:{reason}")
            return
        self.external_leg = leg
        self.phase = Phase.TALKING
        self.outcome, self.cause = "overflowed", f"overflow:{reason}"

    def _connect(self) -> None:
        other = self.agent_leg or self.external_leg
        if other is None or not self.caller_leg.has_media or not other.has_media or self.bridge is not None \
                or not other.confirmed:
            return
        if self.announcing_until:
            return
        self.prompts.stop()
        self.bridge = Bridge(self.host, self.record, self.caller_leg, other, customer_leg=self.key_leg)
        if self.key_leg is not None:
            self.host.stop_listening_for_keys(self.key_leg, remove=False)     # the bridge owns it now
            self.key_leg = None

    def _leave(self, message: list[str], outcome: str, cause: str) -> None:
        self.phase = Phase.LEAVING
        self.outcome, self.cause = outcome, cause
        self.next_step_at = self.prompts.play(message, time.monotonic()) + 0.3

    def _caller_gone(self) -> None:
        if self.phase == Phase.QUEUED:
            self.left_position = self.acd.position(self.call_id)
            self.acd.call_left(self.call_id, time.monotonic())
            self.host.settle()
            self._end("abandoned", "caller-hangup")
        elif self.phase == Phase.WELCOME:
            self._end("abandoned", "caller-hangup")
        else:
            self._end(self.outcome, "caller-hangup" if self.phase == Phase.TALKING else self.cause)

    def _end(self, outcome: str, cause: str) -> None:
        if self.phase == Phase.ENDED:
            return
        was, self.phase = self.phase, Phase.ENDED
        now = time.monotonic()
        self.prompts.stop()
        if self.voicemail is not None:
            self.voicemail.stop()
        self._hang_up_offers()
        if was == Phase.QUEUED:
            if self.left_position is None:
                self.left_position = self.acd.position(self.call_id)
            self.acd.call_left(self.call_id, now, outcome="failed" if outcome == "failed" else "abandoned")
        if self.agent_id is not None:
            self.acd.call_ended(self.call_id, self.agent_id, now)
        self.stop_monitor()
        if self.key_leg is not None:
            self.host.stop_listening_for_keys(self.key_leg, remove=True)
            self.key_leg = None
        for leg in (self.agent_leg, self.external_leg, self.caller_leg):
            if leg is not None:
                leg.hang_up()
        if self.bridge is not None:
            self.bridge.close()
        event = {"answered": "complete", "abandoned": "abandon"}.get(outcome)
        if event and (was != Phase.WELCOME or self.agent_id is not None):
            if event == "complete":
                by = {"agent-hangup": "agent", "caller-hangup": "caller"}.get(cause, "box")
                self.record.event(event, self.queue_id, self.agent_id, detail=cause, by=by)
            else:
                self.record.event(event, self.queue_id, self.agent_id, detail=cause, position=self.left_position)
        self.record.close(outcome, cause, caller_input=self.caller_input)
        for leg in (self.caller_leg, self.agent_leg, self.external_leg):
            if leg is not None:
                leg.release()
        self.host.ended(self)
        self.host.settle()

    def hang_up(self, cause: str) -> None:
        """The engine is stopping: end the call as it stands."""
        self._end(self.outcome if self.phase in (Phase.TALKING, Phase.LEAVING, Phase.VOICEMAIL) else "failed",
                  cause)

    # --- live view ------------------------------------------------------------------------------

    def describe(self, now: float) -> dict:
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "did": self.did,
            "queue_id": self.queue_id,
            "phase": self.phase.value,
            "position": self.acd.position(self.call_id),
            "waited_seconds": round(now - self.queued_at_mono, 1) if self.queued_at_mono else 0.0,
            "agent_id": self.agent_id,
            "ringing_agent_ids": sorted(self.offers),
            "caller_input": self.caller_input,
            "monitor": self.monitor.describe() if self.monitor else None,
        }
