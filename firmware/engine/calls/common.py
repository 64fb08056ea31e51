"""What every kind of call uses: prompts played on a leg, and a bridge of two legs through the hub."""

from __future__ import annotations

import logging
from pathlib import Path

from firmware.engine.call_record import CallRecord
from firmware.engine.calls.host import CallHost
from firmware.engine.legs import Leg

log = logging.getLogger(__name__)

UNREACHABLE = (404, 408, 480, 503)    # the phone is not registered or does not respond
RECORDING_CLOSE_DELAY = 0.5   # seconds for pjmedia to close a dropped recorder's file


def no_answer_reason(status: int) -> str:
    if status in UNREACHABLE:
        return "unreachable"
    return {486: "busy", 600: "busy", 603: "rejected"}.get(status, "timeout")


class Prompts:
    """The prompts of one leg: one playlist at a time, its end known from the files' lengths."""

    def __init__(self, host: CallHost, leg: Leg):
        self.host = host
        self.leg = leg
        self.playing = False
        self.ends_at = 0.0

    def play(self, parts: tuple[str | int, ...] | list[str | int], now: float) -> float:
        """Plays the parts (prompt names; ints are spoken as numbers); returns when they end."""
        self.stop()
        files, length = self.host.prompt(parts)
        self.ends_at = now + length
        self.playing = self.leg.play(files)
        return self.ends_at if self.playing or not self.leg.has_media or not files else now

    def stop(self) -> None:
        if self.playing:
            self.leg.stop_playing()
            self.playing = False


def recording_finished_later(host: CallHost, record: CallRecord, recording_id: int, path: Path) -> None:
    """A recorder was dropped: pjmedia closes its file on a later tick of its clock (port removal
    is asynchronous), so its length is read a little later."""
    host.later(RECORDING_CLOSE_DELAY, lambda: record.recording_finished(recording_id, path))


class Bridge:
    """Two legs talking through the media hub (our mixer inside pjmedia's clock), recorded in
    stereo: the customer on the left, the agent on the right. Shared by inbound and callback calls."""

    def __init__(self, host: CallHost, record: CallRecord, customer: Leg, agent: Leg,
                 customer_leg: int | None = None):
        """`customer_leg`: the caller's hub leg if it has one already (in-band key detection); the
        bridge takes it over."""
        self.host = host
        self.record = record
        hub = host.hub
        call_id = record.call_id
        if customer_leg is None:
            customer_leg = hub.add_leg(f"call-{call_id}-customer")
            customer.attach(hub, customer_leg)
        self.legs = (customer_leg, hub.add_leg(f"call-{call_id}-agent"))
        agent.attach(hub, self.legs[1])
        self.conference = hub.conference()
        hub.join(self.legs[0], self.conference, role="customer")
        hub.join(self.legs[1], self.conference, role="agent")
        self.recording = None
        self.recording_id: int | None = None
        relative, self.path = host.new_recording("call", call_id)
        try:
            self.recording = hub.record(self.legs[0], self.legs[1], self.path)
        except (OSError, RuntimeError) as exc:
            log.error("recording of call %s not started: %s", call_id, exc)
            return
        self.recording_id = record.recording_started(relative, channels=2)

    def add_supervisor(self, leg: Leg, mode: str) -> int:
        hub = self.host.hub
        hub_leg = hub.add_leg("supervisor")
        leg.attach(hub, hub_leg)
        hub.join(hub_leg, self.conference, role="supervisor", mode=mode)
        return hub_leg

    def remove_supervisor(self, hub_leg: int) -> None:
        hub = self.host.hub
        hub.leave(hub_leg)
        hub.remove_leg(hub_leg)

    def close(self) -> None:
        hub = self.host.hub
        if self.recording is not None:
            hub.stop_recording(self.recording)
            self.recording = None
            if self.recording_id is not None:
                recording_finished_later(self.host, self.record, self.recording_id, self.path)
        for leg in self.legs:
            hub.leave(leg)
            hub.remove_leg(leg)
        hub.close_conference(self.conference)
