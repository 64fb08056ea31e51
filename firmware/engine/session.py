"""One inbound call through its life: welcome, queue, agent, bridge, end, and what it leaves in the store.

A session owns the caller's leg and, while one is rung or talking, an agent's leg. It is driven by
leg events (from pjsua2) and by `tick(now)` for everything that happens by the clock.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pjsua2 as pj

from firmware.engine.ua import Leg, call_setting_param
from firmware.store import queries

if TYPE_CHECKING:
    from firmware.engine.engine import Engine

log = logging.getLogger(__name__)

REPEAT_INTERVAL = 20.0   # seconds of hold between repeated queue messages


class Phase(str, enum.Enum):
    WELCOME = "welcome"
    QUEUED = "queued"
    TALKING = "talking"
    ENDED = "ended"


@dataclass
class AgentOffer:
    agent_id: int
    leg: Leg
    deadline: float


class InboundSession:
    def __init__(self, engine: "Engine", leg: Leg, call_id: int, queue_id: int, caller: str, did: str):
        self.engine = engine
        self.caller_leg = leg
        leg.owner = self
        self.call_id = call_id             # the CDR's id, also the ACD's call id
        self.queue_id = queue_id
        self.caller = caller
        self.did = did
        self.phase = Phase.WELCOME
        self.player: pj.AudioMediaPlayer | None = None
        self.next_step_at: float | None = None
        self.offer: AgentOffer | None = None
        self.agent_id: int | None = None
        self.agent_leg: Leg | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        self.recording_id: int | None = None
        self.recording_path: Path | None = None
        self.queued_at_mono: float | None = None
        self.caller_input = ""              # digits keyed while queued (a customer number, ACD3)
        self.welcome_started = False
        # Should media never come up, the call still moves on to the queue.
        self.next_step_at = time.monotonic() + 5.0

    # --- leg events -----------------------------------------------------------------------------

    def leg_media(self, leg: Leg) -> None:
        if leg is self.caller_leg and self.phase == Phase.WELCOME and not self.welcome_started:
            self.welcome_started = True
            length = self._play(["welcome"])
            self.next_step_at = time.monotonic() + length
        elif leg is self.agent_leg and self.phase == Phase.TALKING:
            self._bridge()

    def leg_state(self, leg: Leg, info: pj.CallInfo) -> None:
        if leg is self.caller_leg:
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._caller_gone()
        elif self.offer is not None and leg is self.offer.leg:
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
                self._agent_answered()
            elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._agent_did_not_answer(unreachable=info.lastStatusCode in (404, 480, 408, 503))
        elif leg is self.agent_leg and info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._end("answered", "agent-hangup")

    def leg_dtmf(self, leg: Leg, digit: str) -> None:
        if leg is self.caller_leg and self.phase in (Phase.WELCOME, Phase.QUEUED) and len(self.caller_input) < 32:
            self.caller_input += digit
            self.engine.changed()

    # --- the clock ------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        offer = self.offer
        if offer is not None and now >= offer.deadline:
            offer.deadline = float("inf")
            # Its DISCONNECTED event puts the call back in the queue, possibly from within hangup().
            offer.leg.hangup_quietly()
        if self.next_step_at is None or now < self.next_step_at:
            return
        self.next_step_at = None
        if self.phase == Phase.WELCOME:
            self._enter_queue(now)
        elif self.phase == Phase.QUEUED and self.offer is None:
            self._announce(["queue-repeat"], now)

    # --- steps ----------------------------------------------------------------------------------

    def _enter_queue(self, now: float) -> None:
        self.phase = Phase.QUEUED
        self.queued_at_mono = now
        store = self.engine.store
        queries.update_call(store, self.call_id, queue_id=self.queue_id, queued_at=time.time())
        queries.add_queue_event(store, self.call_id, "enter", self.queue_id)
        self.engine.acd.call_arrived(self.call_id, self.queue_id, now, self.caller)
        self.engine.dispatch(now)
        if self.offer is None:
            self._announce(["queue-first"], now)
        self.engine.changed()

    def _announce(self, messages: list[str], now: float) -> None:
        position = self.engine.acd.position(self.call_id)
        parts = list(messages)
        if position is not None:
            parts += ["position", self.engine.number_prompt(position)]
        length = self._play(parts)
        self.next_step_at = now + length + REPEAT_INTERVAL

    def ring(self, agent_id: int, extension: str, timeout: float, now: float) -> None:
        """Called by the engine when the ACD offers this call to an agent."""
        leg = Leg(self.engine.account, "agent")
        leg.owner = self
        self.offer = AgentOffer(agent_id, leg, now + timeout)
        queries.add_queue_event(self.engine.store, self.call_id, "ring", self.queue_id, agent_id)
        try:
            leg.makeCall(self.engine.agent_uri(extension), call_setting_param())
        except pj.Error as exc:
            log.warning("cannot ring agent %s: %s", extension, exc.info())
            self.offer = None
            self.engine.acd.agent_no_answer(self.call_id, agent_id, now, unreachable=True)
            queries.add_queue_event(self.engine.store, self.call_id, "noanswer", self.queue_id, agent_id,
                                    detail="call failed")

    def _agent_answered(self) -> None:
        offer, self.offer = self.offer, None
        self.agent_id, self.agent_leg = offer.agent_id, offer.leg
        self.phase = Phase.TALKING
        self.next_step_at = None
        now = time.monotonic()
        self.engine.acd.agent_answered(self.call_id, offer.agent_id, now)
        store = self.engine.store
        queries.update_call(store, self.call_id, agent_id=offer.agent_id, answered_at=time.time())
        queries.add_queue_event(store, self.call_id, "answer", self.queue_id, offer.agent_id)
        if self.agent_leg.media is not None:
            self._bridge()
        self.engine.changed()

    def _agent_did_not_answer(self, unreachable: bool) -> None:
        offer, self.offer = self.offer, None
        offer.leg.owner = None
        self.engine.retire(offer.leg)
        now = time.monotonic()
        self.engine.acd.agent_no_answer(self.call_id, offer.agent_id, now, unreachable=unreachable)
        queries.add_queue_event(self.engine.store, self.call_id, "noanswer", self.queue_id, offer.agent_id,
                                detail=f"sip {offer.leg.last_status}")
        if self.next_step_at is None and self.phase == Phase.QUEUED:
            self.next_step_at = now    # back to waiting: the caller hears the queue messages again
        self.engine.dispatch(now)
        self.engine.changed()

    def _bridge(self) -> None:
        caller, agent = self.caller_leg.media, self.agent_leg.media if self.agent_leg else None
        if caller is None or agent is None or self.recorder is not None:
            return
        self._stop_player()
        caller.startTransmit(agent)
        agent.startTransmit(caller)
        self._start_recording(caller, agent)

    def _start_recording(self, caller: pj.AudioMedia, agent: pj.AudioMedia) -> None:
        relative = self.engine.recording_relative_path(self.call_id)
        path = self.engine.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        try:
            recorder.createRecorder(str(path))
        except pj.Error as exc:
            log.error("recording of call %s not started: %s", self.call_id, exc.info())
            return
        caller.startTransmit(recorder)
        agent.startTransmit(recorder)
        self.recorder, self.recording_path = recorder, path
        self.recording_id = queries.add_recording(self.engine.store, self.call_id, str(relative), channels=1)
        queries.update_call(self.engine.store, self.call_id, recording_id=self.recording_id)

    def _caller_gone(self) -> None:
        if self.phase == Phase.TALKING:
            self._end("answered", "caller-hangup")
        else:
            self._end("abandoned", "caller-hangup")

    def _end(self, outcome: str, cause: str) -> None:
        if self.phase == Phase.ENDED:
            return
        was_queued = self.phase == Phase.QUEUED
        self.phase = Phase.ENDED
        now = time.monotonic()
        self._stop_player()
        if self.offer is not None:
            # Detached first: a leg that never got a reply disconnects from within hangup(), and
            # its owner would put this ending call back in the queue and ring the next agent.
            offer, self.offer = self.offer, None
            offer.leg.owner = None
            offer.leg.hangup_quietly()
            self.engine.acd.call_left(self.call_id, now)
            self.engine.retire(offer.leg)
        elif was_queued:
            self.engine.acd.call_left(self.call_id, now)
        if self.agent_leg is not None:
            self.agent_leg.hangup_quietly()
            self.engine.acd.call_ended(self.call_id, self.agent_id, now)
        self.caller_leg.hangup_quietly()
        self._finish_recording()
        store = self.engine.store
        event = {"answered": "complete", "abandoned": "abandon"}.get(outcome, "fail")
        if was_queued or self.agent_id is not None:
            queries.add_queue_event(store, self.call_id, event, self.queue_id, self.agent_id, detail=cause)
        queries.close_call(store, self.call_id, outcome, cause)
        self.engine.session_ended(self)

    def _finish_recording(self) -> None:
        if self.recorder is None:
            return
        recorder, self.recorder = self.recorder, None
        del recorder      # closes the file and writes the final WAV header
        self.engine.finish_recording(self.recording_id, self.recording_path)

    def hang_up(self, cause: str) -> None:
        """The engine is stopping: end the call as it stands."""
        outcome = "answered" if self.phase == Phase.TALKING else "failed"
        self._end(outcome, cause)

    # --- prompts --------------------------------------------------------------------------------

    def _play(self, names: list[str]) -> float:
        """Plays the prompts one after the other; returns their total length in seconds."""
        self._stop_player()
        media = self.caller_leg.media
        if media is None:
            return 0.0
        files, length = self.engine.prompt_files(names)
        if not files:
            return 0.0
        player = pj.AudioMediaPlayer()
        try:
            if len(files) == 1:
                player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
            else:
                vector = pj.StringVector()
                for f in files:
                    vector.append(f)
                player.createPlaylist(vector, "prompts", pj.PJMEDIA_FILE_NO_LOOP)
            player.startTransmit(media)
        except pj.Error as exc:
            log.error("cannot play %s: %s", names, exc.info())
            return 0.0
        self.player = player
        return length

    def _stop_player(self) -> None:
        if self.player is not None:
            player, self.player = self.player, None
            self.engine.retire_player(player, self.caller_leg.media)

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
            "ringing_agent_id": self.offer.agent_id if self.offer else None,
            "caller_input": self.caller_input,
        }
