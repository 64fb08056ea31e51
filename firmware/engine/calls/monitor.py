"""A supervisor's phone on a live call (TEL7): rung, then joined to the call's conference in the hub
to listen, whisper to the agent, or barge in."""

from __future__ import annotations

from collections.abc import Callable

from firmware.engine.calls.common import Bridge
from firmware.engine.calls.host import CallHost
from firmware.engine.legs import Leg

MONITOR_MODES = ("listen", "whisper", "barge")


class Monitor:
    """The supervisor's leg and its place in the bridge; `gone` is called once it has left."""

    def __init__(self, host: CallHost, bridge: Bridge, extension: str, mode: str, gone: Callable[[], None]):
        self.host = host
        self.bridge = bridge
        self.extension = extension
        self.mode = mode
        self.gone = gone
        self.hub_leg: int | None = None
        self.leg: Leg | None = None

    def ring(self) -> None:
        self.leg = self.host.ring(self, self.extension, role="supervisor")
        if self.leg is None:
            raise ValueError(f"the phone {self.extension} cannot be rung")

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if self.hub_leg is not None:
            self.host.hub.set_mode(self.hub_leg, mode)

    def stop(self) -> None:
        leg = self.leg
        self._drop()
        if leg is not None:
            leg.hang_up()

    def describe(self) -> dict:
        return {"extension": self.extension, "mode": self.mode, "connected": self.hub_leg is not None}

    # --- the supervisor's leg ----------------------------------------------------------------------

    def leg_answered(self, leg: Leg) -> None:
        self._join()

    def leg_media(self, leg: Leg) -> None:
        self._join()

    def leg_key(self, leg: Leg, digit: str) -> None:
        pass

    def leg_ended(self, leg: Leg) -> None:
        self._drop()

    def _join(self) -> None:
        leg = self.leg
        if self.hub_leg is None and leg is not None and leg.confirmed and leg.has_media:
            self.hub_leg = self.bridge.add_supervisor(leg, self.mode)
            self.host.changed()

    def _drop(self) -> None:
        leg, self.leg = self.leg, None
        if leg is None:
            return
        if self.hub_leg is not None:
            self.bridge.remove_supervisor(self.hub_leg)
            self.hub_leg = None
        leg.release()
        self.gone()
        self.host.changed()
