"""What a call may ask of the engine: the dozen things it needs, and nothing else.

The engine (firmware/engine/engine.py) implements `CallHost`; calls import nothing from it, as a
FreeSWITCH channel gets the core's API and never the core itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from firmware.acd import Acd
from firmware.engine.call_record import CallRecord
from firmware.engine.legs import Hub, Leg, LegOwner


@dataclass(frozen=True)
class RingOffer:
    """What an agent's phone shows when it is rung for a call (ACD3)."""
    call_id: int
    queue_id: int | None
    caller: str
    caller_input: str = ""
    callback: bool = False


class CallHost(Protocol):
    acd: Acd                 # the routing decisions (firmware/acd): calls tell it what happened
    hub: Hub                 # the media hub where bridged legs meet

    def settle(self) -> None:
        """Carries out at once what the ACD decided meanwhile."""

    def changed(self) -> None:
        """Something the live status shows has changed."""

    def ended(self, call: object) -> None:
        """The call is over (its legs are released): the host forgets it."""

    def prompt(self, parts: tuple[str | int, ...] | list[str | int]) -> tuple[list[str], float]:
        """The files that say the parts (prompt names; ints spoken as numbers) in the box's
        language, and how long they play."""

    def new_recording(self, kind: str, call_id: int) -> tuple[Path, Path]:
        """A place for a recording (its directory made): relative to the data directory, and full."""

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """Runs the action in the loop's turn once that much time has passed."""

    def ring(self, owner: LegOwner, extension: str, offer: RingOffer | None = None,
             role: str = "agent") -> Leg | None:
        """Rings a phone of the box (None: it could not be rung)."""

    def dial_out(self, owner: LegOwner, number: str, call_id: int) -> Leg | None:
        """Dials a number through the trunk that call `call_id` came in on (None: it cannot)."""

    def open_record(self, caller: str, callee: str, **fields) -> CallRecord:
        """A new CDR (an outbound attempt's)."""

    def extension_of(self, agent_id: int) -> str:
        ...

    def announces_agent(self, queue_id: int) -> bool:
        """The queue tells the caller who they speak with (TEL8)."""

    def required_skills(self, queue_id: int) -> dict[str, int] | None:
        ...

    def listen_for_keys(self, call: KeyListener, leg: Leg) -> int:
        """A hub leg on the leg's audio that detects in-band keys and hands them to the call."""

    def stop_listening_for_keys(self, hub_leg: int, remove: bool) -> None:
        ...


class KeyListener(Protocol):
    def leg_key(self, leg: Leg, digit: str) -> None: ...
