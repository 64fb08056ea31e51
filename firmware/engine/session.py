"""Calls through their life: what the ACD decides is done here, on pjsua2 legs, and written to the store.

An `InboundSession` owns a caller's leg from the welcome to the end: it enters the queue, plays what
the ACD asks, rings the agents it is offered to, bridges to the one who answers, or leaves by
overflow or callback. A `CallbackSession` calls a customer back for the ACD: first the agent, then,
once the agent answers, the customer through the trunk the call came in on. Both are driven by leg
events (from pjsua2) and by `tick(now)` for what happens by the clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pjsua2 as pj

from firmware.acd import Destination
from firmware.engine import prompts
from firmware.engine.callback_menu import Back, CallbackMenu, Chosen, Play, hour_interval, later_hours
from firmware.engine.ua import Leg, call_setting_param
from firmware.engine.voicemail import MAX_MESSAGE_SECONDS, VoicemailRecorder
from firmware.store import queries

if TYPE_CHECKING:
    from firmware.engine.engine import Engine

log = logging.getLogger(__name__)

UNREACHABLE = (404, 408, 480, 503)    # the phone is not registered or does not respond
MENU_SILENCE = 10.0                    # seconds after its prompt a callback menu step waits for a key


def no_answer_reason(status: int) -> str:
    if status in UNREACHABLE:
        return "unreachable"
    return {486: "busy", 600: "busy", 603: "rejected"}.get(status, "timeout")


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


MONITOR_MODES = ("listen", "whisper", "barge")


@dataclass
class Monitor:
    """A supervisor's phone on a live call (TEL7): rung, then joined to the call's conference."""
    extension: str
    mode: str
    leg: Leg
    hub_leg: int | None = None


class Bridge:
    """Two legs talking through the media hub (our mixer inside pjmedia's clock), recorded in
    stereo: the customer on the left, the agent on the right. Shared by inbound and callback calls."""

    def __init__(self, engine: Engine, cdr_id: int, customer: pj.AudioMedia, agent: pj.AudioMedia,
                 customer_leg: int | None = None):
        """`customer_leg`: the caller's hub leg if it has one already (in-band key detection); the
        bridge takes it over."""
        self.engine = engine
        hub = engine.hub
        if customer_leg is None:
            customer_leg = hub.add_leg(f"call-{cdr_id}-customer")
            hub.attach(customer_leg, customer)
        self.legs = (customer_leg, hub.add_leg(f"call-{cdr_id}-agent"))
        hub.attach(self.legs[1], agent)
        self.conference = hub.conference()
        hub.join(self.legs[0], self.conference, role="customer")
        hub.join(self.legs[1], self.conference, role="agent")
        self.recording = None
        self.recording_id: int | None = None
        relative = engine.recording_relative_path(cdr_id)
        self.path: Path | None = engine.data_dir / relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.recording = hub.record(self.legs[0], self.legs[1], self.path)
        except (OSError, RuntimeError) as exc:
            log.error("recording of call %s not started: %s", cdr_id, exc)
            return
        self.recording_id = queries.add_recording(engine.store, cdr_id, str(relative), channels=2)
        queries.update_call(engine.store, cdr_id, recording_id=self.recording_id)

    def add_supervisor(self, media: pj.AudioMedia, mode: str) -> int:
        hub = self.engine.hub
        leg = hub.add_leg("supervisor")
        hub.attach(leg, media)
        hub.join(leg, self.conference, role="supervisor", mode=mode)
        return leg

    def remove_supervisor(self, leg: int) -> None:
        hub = self.engine.hub
        hub.leave(leg)
        hub.remove_leg(leg)

    def close(self) -> None:
        hub = self.engine.hub
        if self.recording is not None:
            hub.stop_recording(self.recording)
            self.recording = None
            self.engine.finish_recording(self.recording_id, self.path)
        for leg in self.legs:
            hub.leave(leg)
            hub.remove_leg(leg)
        hub.close_conference(self.conference)


class Prompts:
    """The prompt player of one leg: one playlist at a time, its end known from the files' lengths."""

    def __init__(self, engine: Engine, leg: Leg):
        self.engine = engine
        self.leg = leg
        self.player: pj.AudioMediaPlayer | None = None
        self.ends_at = 0.0

    def play(self, parts: tuple[str | int, ...] | list[str | int], now: float) -> float:
        """Plays the parts (prompt names; ints are spoken as numbers); returns when they end."""
        self.stop()
        names = [name for part in parts
                 for name in (self.engine.number_prompts(part) if isinstance(part, int) else [part])]
        files, length = self.engine.prompt_files(names)
        media = self.leg.media
        self.ends_at = now + length
        if media is None or not files:
            return self.ends_at
        player = pj.AudioMediaPlayer()
        try:
            if len(files) == 1:
                player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
            else:
                vector = pj.StringVector()
                end, _ = self.engine.prompt_files([prompts.PLAYLIST_END])    # not counted: silence
                for f in [*files, *end]:
                    vector.append(f)
                player.createPlaylist(vector, "prompts", pj.PJMEDIA_FILE_NO_LOOP)
            player.startTransmit(media)
        except pj.Error as exc:
            log.error("cannot play %s: %s", names, exc.info())
            return now
        self.player = player
        return self.ends_at

    def stop(self) -> None:
        if self.player is not None:
            self.engine.retire_player(self.player, self.leg.media)
            self.player = None


class InboundSession:
    def __init__(self, engine: Engine, leg: Leg, call_id: int, queue_id: int, caller: str, did: str,
                 inband_dtmf: bool = False, priority: int = 0):
        self.engine = engine
        self.priority = priority              # the route's (ACD8): served before lower ones in the queue
        self.inband_dtmf = inband_dtmf        # the trunk sends keys as tones: the hub listens for them
        self.key_leg: int | None = None       # the caller's hub leg for that, taken over by the bridge
        self.caller_leg = leg
        leg.owner = self
        self.call_id = call_id             # the CDR's id, also the ACD's call id
        self.queue_id = queue_id
        self.caller = caller
        self.did = did
        self.phase = Phase.WELCOME
        self.prompts = Prompts(engine, leg)
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
        # Should media never come up, the call still moves on to the queue.
        self.next_step_at: float | None = time.monotonic() + 5.0

    @property
    def store(self):
        return self.engine.store

    # --- leg events -----------------------------------------------------------------------------

    def leg_media(self, leg: Leg) -> None:
        now = time.monotonic()
        if self.monitor is not None and leg is self.monitor.leg:
            self._join_monitor()
        elif leg is self.caller_leg and self.phase == Phase.WELCOME and self.prompts.player is None:
            if self.inband_dtmf and self.key_leg is None:
                self.key_leg = self.engine.listen_for_keys(self, leg.media)
            self.next_step_at = self.prompts.play(["welcome"], now)
        elif leg in (self.agent_leg, self.external_leg):
            self._connect()

    def leg_state(self, leg: Leg, info: pj.CallInfo) -> None:
        if self.monitor is not None and leg is self.monitor.leg:
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
                self._join_monitor()
            elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._drop_monitor()
            return
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            if leg is self.external_leg:
                self._connect()
            else:
                offer = self._offer_of(leg)
                if offer is not None:
                    self.engine.acd.agent_answered(self.call_id, offer.agent_id, time.monotonic())
                    self.engine.act()
            return
        if info.state != pj.PJSIP_INV_STATE_DISCONNECTED:
            return
        if leg is self.caller_leg:
            self._caller_gone()
        elif leg is self.agent_leg or leg is self.external_leg:
            self._end(self.outcome, "agent-hangup" if leg is self.agent_leg else "far-end-hangup")
        else:
            offer = self._offer_of(leg)
            if offer is not None:
                self._drop_offer(offer)
                reason = no_answer_reason(info.lastStatusCode)
                queries.add_queue_event(self.store, self.call_id, "noanswer", self.queue_id, offer.agent_id,
                                        detail=f"{reason} (sip {info.lastStatusCode})")
                self.engine.acd.agent_no_answer(self.call_id, offer.agent_id, time.monotonic(), reason=reason)
                self.engine.act()

    def leg_dtmf(self, leg: Leg, digit: str) -> None:
        if leg is self.caller_leg and self.phase == Phase.VOICEMAIL and digit == "#":
            self._voicemail_done()
            return
        if leg is not self.caller_leg or self.phase not in (Phase.WELCOME, Phase.QUEUED):
            return
        if self.menu is not None:
            self._menu_step(self.menu.key(digit))
            return
        if self.phase == Phase.QUEUED and self.engine.acd.is_callback_key(self.call_id, digit):
            self._open_callback_menu()
            return
        if len(self.caller_input) < 32 and digit.isdigit():
            self.caller_input += digit
        if self.phase == Phase.QUEUED:
            self.engine.acd.caller_pressed(self.call_id, digit, time.monotonic())
            self.engine.act()
        self.engine.changed()

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
        queries.update_call(self.store, self.call_id, queue_id=self.queue_id, queued_at=time.time(),
                            caller_input=self.caller_input)
        queries.add_queue_event(self.store, self.call_id, "enter", self.queue_id)
        self.engine.acd.call_arrived(self.call_id, self.queue_id, now, self.caller, caller_input=self.caller_input,
                                     skills=self.engine.required_skills.get(self.queue_id), priority=self.priority)
        self.engine.changed()

    def play(self, parts: tuple[str | int, ...]) -> None:
        if self.phase == Phase.QUEUED and not self.offers and self.menu is None:
            self.prompts.play(parts, time.monotonic())

    def ring(self, agent_id: int, extension: str) -> None:
        leg = Leg(self.engine.account, "agent")
        leg.owner = self
        queries.add_queue_event(self.store, self.call_id, "ring", self.queue_id, agent_id)
        try:
            leg.makeCall(self.engine.agent_uri(extension),
                         self.engine.offer_param(self.call_id, self.queue_id, self.caller, self.caller_input))
        except pj.Error as exc:
            log.warning("cannot ring agent %s: %s", extension, exc.info())
            self.engine.retire(leg)
            self.engine.acd.agent_no_answer(self.call_id, agent_id, time.monotonic(), reason="unreachable")
            return
        self.offers[agent_id] = Offer(agent_id, leg)
        self.engine.changed()

    def stop_ringing(self, agent_id: int) -> None:
        offer = self.offers.get(agent_id)
        if offer is not None:
            self._drop_offer(offer)
            offer.leg.hangup_quietly()

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
        queries.update_call(self.store, self.call_id, agent_id=agent_id, answered_at=time.time(),
                            caller_input=self.caller_input)
        queries.add_queue_event(self.store, self.call_id, "answer", self.queue_id, agent_id)
        if self.engine.announces_agent(self.queue_id):
            # TEL8: "you are speaking with agent 1 0 0 1", then the two are connected.
            extension = self.engine.agents[agent_id]["extension"]
            self.announcing_until = self.prompts.play(["agent-intro", *map(int, extension)], time.monotonic())
        self._connect()
        self.engine.changed()

    def overflow(self, reason: str, destination: Destination) -> None:
        if destination.kind != "queue":
            queries.update_call(self.store, self.call_id, left_queue_at=time.time())
        queries.add_queue_event(self.store, self.call_id, "overflow", self.queue_id,
                                detail=f"{reason} -> {destination.kind} {destination.target or ''}".strip())
        self._hang_up_offers()
        if destination.kind == "queue":
            self.queue_id = int(destination.target)
            queries.update_call(self.store, self.call_id, queue_id=self.queue_id)
        elif destination.kind == "number":
            self._dial_external(str(destination.target), reason)
        elif destination.kind == "voicemail":
            self._voicemail_greeting(reason)
        elif destination.kind != "callback":
            message = destination.target if isinstance(destination.target, str) else "overflow"
            self._leave([message], "overflowed", f"overflow:{reason}")
        self.engine.changed()

    def offer_callback(self) -> None:
        self.play(("callback-offer",))

    def callback_registered(self, forced: bool) -> None:
        queries.update_call(self.store, self.call_id, left_queue_at=time.time())
        queries.add_queue_event(self.store, self.call_id, "callback", self.queue_id,
                                detail="forced" if forced else "requested")
        self._leave(["callback-confirm-later" if self.callback_later else "callback-confirm"], "overflowed", "callback")

    # --- voicemail ---------------------------------------------------------------------------------

    def _voicemail_greeting(self, reason: str) -> None:
        self.phase = Phase.VOICEMAIL
        self.outcome, self.cause = "overflowed", f"overflow:{reason}"
        self.next_step_at = self.prompts.play(["voicemail-greeting", "tone-beep"], time.monotonic())

    def _voicemail_step(self, now: float) -> None:
        """After the beep the recording starts; at its longest it ends like a '#'."""
        if self.voicemail is None and self.caller_leg.media is not None:
            self.voicemail = VoicemailRecorder(self.engine, self.call_id)
            if self.voicemail.start(self.caller_leg.media):
                self.next_step_at = now + MAX_MESSAGE_SECONDS
                return
        self._voicemail_done()

    def _voicemail_done(self) -> None:
        if self.voicemail is not None:
            self.voicemail.stop()
        self._leave(["voicemail-thanks"], self.outcome, self.cause)

    # --- the caller's callback menu (ACD13) ------------------------------------------------------

    def _open_callback_menu(self) -> None:
        policy = self.engine.acd.queue(self.queue_id).config.callback
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
            self.engine.acd.callback_requested(self.call_id, now, number=outcome.number, interval=interval)
            self.engine.act()

    def _callback_zone(self):
        """Hours are the queue's (its opening hours' time zone), else the box's local time."""
        config = self.engine.acd.queue(self.queue_id).config
        for schedule in (config.schedule, config.callback.window if config.callback else None):
            if schedule is not None:
                return ZoneInfo(schedule.timezone)
        return dt.datetime.now().astimezone().tzinfo

    def _open_for_callbacks(self, epoch: float) -> bool:
        config = self.engine.acd.queue(self.queue_id).config
        return all(schedule is None or schedule.is_open(epoch)
                   for schedule in (config.schedule, config.callback.window if config.callback else None))

    # --- supervisor ------------------------------------------------------------------------------

    def start_monitor(self, extension: str, mode: str) -> None:
        """Rings the supervisor's phone; once answered it hears (and may speak) as the mode says."""
        if self.phase != Phase.TALKING or self.bridge is None:
            raise ValueError(f"call {self.call_id} is not connected to an agent")
        if self.monitor is not None:
            raise ValueError(f"call {self.call_id} is already monitored by {self.monitor.extension}")
        leg = Leg(self.engine.account, "supervisor")
        leg.owner = self
        leg.makeCall(self.engine.agent_uri(extension), call_setting_param())
        self.monitor = Monitor(extension, mode, leg)

    def set_monitor_mode(self, mode: str) -> None:
        if self.monitor is None:
            raise ValueError(f"call {self.call_id} is not monitored")
        self.monitor.mode = mode
        if self.monitor.hub_leg is not None:
            self.engine.hub.set_mode(self.monitor.hub_leg, mode)

    def stop_monitor(self) -> None:
        if self.monitor is not None:
            leg = self.monitor.leg
            self._drop_monitor()
            leg.hangup_quietly()

    def _join_monitor(self) -> None:
        monitor = self.monitor
        if monitor.hub_leg is None and monitor.leg.confirmed and monitor.leg.media is not None and self.bridge:
            monitor.hub_leg = self.bridge.add_supervisor(monitor.leg.media, monitor.mode)
            self.engine.changed()

    def _drop_monitor(self) -> None:
        monitor, self.monitor = self.monitor, None
        if monitor is None:
            return
        if monitor.hub_leg is not None and self.bridge is not None:
            self.bridge.remove_supervisor(monitor.hub_leg)
        monitor.leg.owner = None
        self.engine.retire(monitor.leg)
        self.engine.changed()

    # --- steps ----------------------------------------------------------------------------------

    def _offer_of(self, leg: Leg) -> Offer | None:
        return next((o for o in self.offers.values() if o.leg is leg), None)

    def _drop_offer(self, offer: Offer) -> None:
        self.offers.pop(offer.agent_id, None)
        offer.leg.owner = None
        self.engine.retire(offer.leg)

    def _hang_up_offers(self) -> None:
        for offer in list(self.offers.values()):
            self.stop_ringing(offer.agent_id)

    def _dial_external(self, number: str, reason: str) -> None:
        leg = self.engine.dial_out(number, self.engine.trunk_of_call(self.call_id), owner=self)
        if leg is None:
            self._leave(["overflow"], "overflowed", f"overflow:{reason}")
            return
        self.external_leg = leg
        self.phase = Phase.TALKING
        self.outcome, self.cause = "overflowed", f"overflow:{reason}"

    def _connect(self) -> None:
        other = self.agent_leg or self.external_leg
        caller, far = self.caller_leg.media, other.media if other else None
        if caller is None or far is None or self.bridge is not None or not (other and other.confirmed):
            return
        if self.announcing_until:
            return
        self.prompts.stop()
        self.bridge = Bridge(self.engine, self.call_id, caller, far, customer_leg=self.key_leg)
        if self.key_leg is not None:
            self.engine.stop_listening_for_keys(self.key_leg, remove=False)     # the bridge owns it now
            self.key_leg = None

    def _leave(self, message: list[str], outcome: str, cause: str) -> None:
        self.phase = Phase.LEAVING
        self.outcome, self.cause = outcome, cause
        self.next_step_at = self.prompts.play(message, time.monotonic()) + 0.3

    def _caller_gone(self) -> None:
        if self.phase == Phase.QUEUED:
            self.engine.acd.call_left(self.call_id, time.monotonic())
            self.engine.act()
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
            self.engine.acd.call_left(self.call_id, now, outcome="failed" if outcome == "failed" else "abandoned")
        if self.agent_id is not None:
            self.engine.acd.call_ended(self.call_id, self.agent_id, now)
        self.stop_monitor()
        if self.key_leg is not None:
            self.engine.stop_listening_for_keys(self.key_leg, remove=True)
            self.key_leg = None
        for leg in (self.agent_leg, self.external_leg, self.caller_leg):
            if leg is not None:
                leg.hangup_quietly()
        if self.bridge is not None:
            self.bridge.close()
        event = {"answered": "complete", "abandoned": "abandon"}.get(outcome)
        if event and (was != Phase.WELCOME or self.agent_id is not None):
            queries.add_queue_event(self.store, self.call_id, event, self.queue_id, self.agent_id, detail=cause)
        queries.update_call(self.store, self.call_id, caller_input=self.caller_input)
        queries.close_call(self.store, self.call_id, outcome, cause)
        self.engine.session_ended(self, [self.caller_leg, self.agent_leg, self.external_leg])
        self.engine.act()

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
            "position": self.engine.acd.position(self.call_id),
            "waited_seconds": round(now - self.queued_at_mono, 1) if self.queued_at_mono else 0.0,
            "agent_id": self.agent_id,
            "ringing_agent_ids": sorted(self.offers),
            "caller_input": self.caller_input,
            "monitor": ({"extension": self.monitor.extension, "mode": self.monitor.mode,
                         "connected": self.monitor.hub_leg is not None} if self.monitor else None),
        }


class CallbackSession:
    """A callback the ACD places: the agent's phone rings first; once the agent answers, the customer
    is dialled through the trunk their call came in on, and the two are bridged."""

    def __init__(self, engine: Engine, call_id: int, agent_id: int, number: str, queue_id: int | None):
        self.engine = engine
        self.call_id = call_id           # the ACD's id: the CDR of the call that asked for the callback
        self.agent_id = agent_id
        self.number = number
        self.queue_id = queue_id
        self.cdr_id: int | None = None   # this attempt's own CDR, opened when the customer is dialled
        self.agent_leg: Leg | None = None
        self.customer_leg: Leg | None = None
        self.bridge: Bridge | None = None
        self.answered = False
        self.ended = False

    def start(self, extension: str) -> None:
        leg = Leg(self.engine.account, "agent")
        leg.owner = self
        self.agent_leg = leg
        queries.add_queue_event(self.engine.store, self.call_id, "ring", self.queue_id, self.agent_id,
                                detail="callback")
        request = self.engine.acd.callbacks.get(self.call_id)
        try:
            leg.makeCall(self.engine.agent_uri(extension),
                         self.engine.offer_param(self.call_id, self.queue_id, self.number,
                                                 request.caller_input if request else "", callback=True))
        except pj.Error as exc:
            log.warning("callback %s: cannot ring agent %s: %s", self.call_id, extension, exc.info())
            self.engine.acd.agent_no_answer(self.call_id, self.agent_id, time.monotonic(), reason="unreachable")
            self._finish(None)

    def tick(self, now: float) -> None:
        pass

    def stop_ringing(self, agent_id: int) -> None:
        if agent_id == self.agent_id and not (self.agent_leg and self.agent_leg.confirmed):
            self._finish(None)

    def leg_media(self, leg: Leg) -> None:
        self._connect()

    def leg_dtmf(self, leg: Leg, digit: str) -> None:
        pass

    def leg_state(self, leg: Leg, info: pj.CallInfo) -> None:
        now = time.monotonic()
        acd = self.engine.acd
        if leg is self.agent_leg:
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED and self.customer_leg is None:
                acd.agent_answered(self.call_id, self.agent_id, now)
                self._dial_customer()
            elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                if not leg.confirmed:
                    acd.agent_no_answer(self.call_id, self.agent_id, now,
                                        reason=no_answer_reason(info.lastStatusCode))
                self._finish("agent-hangup")
        elif leg is self.customer_leg:
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered:
                self.answered = True
                acd.callback_result(self.call_id, True, now)
                queries.update_call(self.engine.store, self.cdr_id, agent_id=self.agent_id, answered_at=time.time())
                self._connect()
            elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                if not self.answered:
                    acd.callback_result(self.call_id, False, now, note=f"no answer (sip {info.lastStatusCode})")
                self._finish("customer-hangup" if self.answered else f"no-answer (sip {info.lastStatusCode})")
        self.engine.act()

    def _dial_customer(self) -> None:
        trunk = self.engine.trunk_of_call(self.call_id)
        self.cdr_id = queries.open_call(self.engine.store, self.engine.agents[self.agent_id]["extension"],
                                        self.number, trunk_id=trunk["id"] if trunk else None,
                                        direction="outbound", callback_of=self.call_id)
        queries.update_call(self.engine.store, self.cdr_id, queue_id=self.queue_id)
        self.customer_leg = self.engine.dial_out(self.number, trunk, owner=self)
        if self.customer_leg is None:
            self.engine.acd.callback_result(self.call_id, False, time.monotonic(), note="no trunk to dial out")
            self._finish("no-trunk")

    def _connect(self) -> None:
        if self.bridge is not None or not self.answered or self.cdr_id is None:
            return
        agent, customer = self.agent_leg.media, self.customer_leg.media if self.customer_leg else None
        if agent is not None and customer is not None:
            self.bridge = Bridge(self.engine, self.cdr_id, agent, customer)

    def _finish(self, cause: str | None) -> None:
        if self.ended:
            return
        self.ended = True
        for leg in (self.agent_leg, self.customer_leg):
            if leg is not None:
                leg.hangup_quietly()
        if self.bridge is not None:
            self.bridge.close()
        if self.answered:
            self.engine.acd.call_ended(self.call_id, self.agent_id, time.monotonic())
        if self.cdr_id is not None:
            queries.close_call(self.engine.store, self.cdr_id, "answered" if self.answered else "failed",
                               cause or "stopped")
        self.engine.callback_ended(self, [self.agent_leg, self.customer_leg])

    def hang_up(self, cause: str) -> None:
        self._finish(cause)

    def describe(self, now: float) -> dict:
        return {"call_id": self.call_id, "number": self.number, "agent_id": self.agent_id,
                "queue_id": self.queue_id, "answered": self.answered}


MAX_CONFERENCE_MEMBERS = 50


@dataclass
class Member:
    id: int
    kind: str                        # "phone" (an extension dialled in) or "call" (a live call moved in)
    label: str
    leg: Leg | None = None           # a phone's own leg
    call_id: int | None = None       # a moved call
    hub_legs: tuple[int, ...] = ()   # its legs in the hub, once connected


class ConferenceRoom:
    """A conference of up to 50 parties in the media hub (TEL6): phones dialled in, and live calls
    moved in with both their parties (who go back to their own call when removed)."""

    def __init__(self, engine: Engine, room_id: int):
        self.engine = engine
        self.id = room_id
        self.conference = engine.hub.conference()
        self.members: dict[int, Member] = {}
        self._next_member = 1

    def _new_member(self, kind: str, label: str, **fields) -> Member:
        if len(self.members) >= MAX_CONFERENCE_MEMBERS:
            raise ValueError(f"conference {self.id} is full ({MAX_CONFERENCE_MEMBERS} members)")
        member = Member(self._next_member, kind, label, **fields)
        self._next_member += 1
        self.members[member.id] = member
        self.engine.changed()
        return member

    def add_phone(self, extension: str) -> Member:
        leg = Leg(self.engine.account, "conference")
        member = self._new_member("phone", extension, leg=leg)
        leg.owner = self
        try:
            leg.makeCall(self.engine.agent_uri(extension), call_setting_param())
        except pj.Error:
            self._forget(member)
            raise
        return member

    def add_call(self, session: InboundSession) -> Member:
        bridge = session.bridge
        if bridge is None or session.phase != Phase.TALKING:
            raise ValueError(f"call {session.call_id} is not connected")
        if any(m.call_id == session.call_id for m in self.members.values()):
            raise ValueError(f"call {session.call_id} is already in conference {self.id}")
        member = self._new_member("call", f"call {session.call_id}", call_id=session.call_id,
                                  hub_legs=bridge.legs)
        for leg in bridge.legs:
            self.engine.hub.leave(leg)
            self.engine.hub.join(leg, self.conference, role="party")
        return member

    def remove(self, member_id: int) -> None:
        member = self.members.get(member_id)
        if member is None:
            raise ValueError(f"no member {member_id} in conference {self.id}")
        if member.kind == "call":
            session = self.engine.sessions.get(member.call_id)
            if session is not None and session.bridge is not None:
                roles = ("customer", "agent")
                for leg, role in zip(member.hub_legs, roles):
                    self.engine.hub.leave(leg)
                    self.engine.hub.join(leg, session.bridge.conference, role=role)
            self._forget(member)
        else:
            leg = member.leg
            self._forget(member)
            leg.hangup_quietly()

    def call_ended(self, call_id: int) -> None:
        """A moved call ended on its own: its legs are already gone from the hub."""
        for member in [m for m in self.members.values() if m.call_id == call_id]:
            self.members.pop(member.id, None)
            self.engine.changed()

    def close(self) -> None:
        for member_id in list(self.members):
            self.remove(member_id)
        self.engine.hub.close_conference(self.conference)

    # --- a dialled phone's leg events ----------------------------------------------------------------

    def _member_of(self, leg: Leg) -> Member | None:
        return next((m for m in self.members.values() if m.leg is leg), None)

    def leg_state(self, leg: Leg, info: pj.CallInfo) -> None:
        member = self._member_of(leg)
        if member is None:
            return
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self._connect(member)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._forget(member)

    def leg_media(self, leg: Leg) -> None:
        member = self._member_of(leg)
        if member is not None:
            self._connect(member)

    def leg_dtmf(self, leg: Leg, digit: str) -> None:
        pass

    def _connect(self, member: Member) -> None:
        leg = member.leg
        if member.hub_legs or not leg.confirmed or leg.media is None:
            return
        hub_leg = self.engine.hub.add_leg(f"conference-{self.id}-{member.id}")
        self.engine.hub.attach(hub_leg, leg.media)
        self.engine.hub.join(hub_leg, self.conference, role="party")
        member.hub_legs = (hub_leg,)
        self.engine.changed()

    def _forget(self, member: Member) -> None:
        self.members.pop(member.id, None)
        if member.kind == "phone":
            for hub_leg in member.hub_legs:
                self.engine.hub.leave(hub_leg)
                self.engine.hub.remove_leg(hub_leg)
            if member.leg is not None:
                member.leg.owner = None
                self.engine.retire(member.leg)
        self.engine.changed()

    def describe(self) -> dict:
        return {"id": self.id, "members": [
            {"id": m.id, "kind": m.kind, "label": m.label, "call_id": m.call_id, "connected": bool(m.hub_legs)}
            for m in self.members.values()]}
