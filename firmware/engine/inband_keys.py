"""Keys sent as tones (a trunk with `dtmf: inband`: analog gateways, some carriers): a hub leg on
the caller's audio runs the Goertzel detector inside the media clock (GIL-free), and the engine's
loop hands the keys found to their calls each turn. The bridge later takes that hub leg over."""

from __future__ import annotations

from firmware.engine.calls.host import KeyListener
from firmware.engine.legs import Hub, Leg


class InbandKeys:
    def __init__(self, hub: Hub):
        self.hub = hub
        self.listeners: dict[int, tuple[KeyListener, Leg]] = {}   # hub leg -> the call and leg it hears

    def listen(self, call: KeyListener, leg: Leg, name: str) -> int:
        hub_leg = self.hub.add_leg(name)
        leg.attach(self.hub, hub_leg)
        self.hub.detect_dtmf(hub_leg)
        self.listeners[hub_leg] = (call, leg)
        return hub_leg

    def stop(self, hub_leg: int, remove: bool) -> None:
        """`remove`: the hub leg goes too; else it stays (a bridge took it over), without detection."""
        self.listeners.pop(hub_leg, None)
        if remove:
            self.hub.remove_leg(hub_leg)
        else:
            self.hub.detect_dtmf(hub_leg, on=False)

    def deliver(self) -> None:
        if not self.listeners:
            return
        for hub_leg, keys in self.hub.take_digits():
            listener = self.listeners.get(hub_leg)
            if listener is not None:
                call, leg = listener
                for key in keys:
                    call.leg_key(leg, key)
