"""What a call may do with a leg, whatever carries it: the one interface of every kind of leg.

A call (firmware/engine/calls/) never asks which kind of leg it holds, as FreeSWITCH's core never
asks which endpoint module a channel belongs to: pjsua2's SIP call (`ua.SipLeg`) is one kind, the
in-memory leg (`memory_leg.MemoryLeg`, for tests) another, and a TDM channel of a serial card will
be the next. A leg reports to its owner (`LegOwner`) when it is answered, when its audio is up,
when a key was pressed and when it ended, always in the engine's thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class LegError(Exception):
    """What a leg could not do (answer, start a player or a recorder), with the carrier's reason."""


class LegOwner(Protocol):
    def leg_answered(self, leg: Leg) -> None: ...
    def leg_media(self, leg: Leg) -> None: ...
    def leg_key(self, leg: Leg, digit: str) -> None: ...
    def leg_ended(self, leg: Leg) -> None: ...


class Hub(Protocol):
    """The media hub (cython_ext.pjport.MediaHub): the mixer inside pjmedia's clock where bridged
    legs meet. What calls use of it."""

    def add_leg(self, name: str = "leg") -> int: ...
    def remove_leg(self, leg: int) -> None: ...
    def attach(self, leg: int, media) -> None: ...
    def detect_dtmf(self, leg: int, on: bool = True) -> None: ...
    def take_digits(self) -> list[tuple[int, str]]: ...
    def conference(self) -> int: ...
    def close_conference(self, conference: int) -> None: ...
    def join(self, leg: int, conference: int, role: str = "party", mode: str = "talk") -> None: ...
    def leave(self, leg: int) -> None: ...
    def set_mode(self, leg: int, mode: str) -> None: ...
    def record(self, left_leg: int, right_leg: int, path) -> object: ...
    def stop_recording(self, rec) -> None: ...


class Leg(Protocol):
    role: str                     # "caller", "agent", "outbound", "supervisor", "conference"
    owner: LegOwner | None
    confirmed: bool               # answered (both ways)
    disconnected: bool            # ended; nothing more comes from it
    last_status: int              # the last status of its signalling (SIP: 486, 603, 408...)

    @property
    def has_media(self) -> bool: ...

    def answer(self) -> None:
        """Answers a leg that came in (LegError when it cannot)."""

    def hang_up(self, status: int = 0) -> None:
        """Ends the leg unless it ended already: with `status` (a refusal) before it is answered."""

    def play(self, files: list[str]) -> bool:
        """Plays the files one after the other to the leg, instead of what played before."""

    def stop_playing(self) -> None: ...

    def attach(self, hub: Hub, hub_leg: int) -> None:
        """Connects the leg's audio both ways to a leg of the media hub."""

    def record(self, path: Path) -> bool:
        """Records what the leg says (mono WAV) until stop_recording."""

    def stop_recording(self) -> None: ...

    def release(self) -> None:
        """The owner is done with the leg: it reports to nobody any more, and its resources go at
        the end of the engine's turn (never inside one of its own callbacks)."""
