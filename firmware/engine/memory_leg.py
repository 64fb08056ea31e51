"""Legs that live in memory: the loopback kind of leg (FreeSWITCH's mod_loopback, Asterisk's
chan_local), with an in-memory user agent and media hub, so a call runs through the engine without
SIP, RTP or pjmedia. Tests drive them as a phone or a trunk would: answer, media up, a key, hang up.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

from firmware.engine.legs import Hub, Leg, LegOwner


class MemoryLeg:
    """A `legs.Leg` whose far end is the test. What the box did to it is kept in `played`,
    `recording`, `hub_legs` and `status`."""

    def __init__(self, role: str, target: str = ""):
        self.role = role
        self.target = target              # the extension or number it was placed to
        self.owner: LegOwner | None = None
        self.confirmed = False
        self.disconnected = False
        self.last_status = 0
        self.media_up = False
        self.answered_by_box = False
        self.played: list[list[str]] = []
        self.playing: list[str] | None = None
        self.recording: Path | None = None
        self.hub_legs: list[int] = []
        self.released = False
        self.shown_as: str | None = None      # what the box put in From (a phone's display)
        self.headers: dict[str, str] = {}     # what else it sent along

    # --- the far end (the test) ---------------------------------------------------------------------

    def far_answers(self) -> None:
        """The phone or the number answered (200 and ACK), and its audio flows."""
        self.confirmed, self.last_status = True, 200
        self._tell("leg_answered")
        self.media_starts()

    def media_starts(self) -> None:
        self.media_up = True
        self._tell("leg_media")

    def far_hangs_up(self, status: int = 200) -> None:
        """BYE, or a final refusal (486 busy, 480 unreachable...) before an answer."""
        if self.disconnected:
            return
        self.last_status = status if not self.confirmed else self.last_status
        self._ended()

    def press(self, digit: str) -> None:
        if self.owner is not None:
            self.owner.leg_key(self, digit)

    def _tell(self, event: str) -> None:
        if self.owner is not None:
            getattr(self.owner, event)(self)

    def _ended(self) -> None:
        self.disconnected, self.media_up, self.playing = True, False, None
        self._tell("leg_ended")

    # --- legs.Leg -----------------------------------------------------------------------------------

    @property
    def has_media(self) -> bool:
        return self.media_up

    def answer(self) -> None:
        self.answered_by_box = True
        self.confirmed, self.last_status = True, 200

    def hang_up(self, status: int = 0) -> None:
        """The box hangs up. As with SIP, where the end is reported on a later turn, after the owner
        has let the leg go, the owner is not told."""
        if self.disconnected:
            return
        if status and not self.confirmed:
            self.last_status = status
        self.disconnected, self.media_up, self.playing = True, False, None

    def play(self, files: list[str]) -> bool:
        if not self.media_up or not files:
            self.playing = None
            return False
        self.playing = list(files)
        self.played.append(self.playing)
        return True

    def stop_playing(self) -> None:
        self.playing = None

    def attach(self, hub: Hub, hub_leg: int) -> None:
        hub.attach(hub_leg, self)
        self.hub_legs.append(hub_leg)

    def record(self, path: Path) -> bool:
        if not self.media_up:
            return False
        write_silence(path)
        self.recording = path
        return True

    def stop_recording(self) -> None:
        self.recording = None

    def release(self) -> None:
        self.owner, self.released = None, True


def write_silence(path: Path, frames: int = 800) -> None:
    """A short WAV of silence where a recording would be (8 kHz, 16 bits, mono)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * frames)


class MemoryUa:
    """The engine's user agent (as `sip_ua.SipUa`) for memory legs: every leg it places is kept in
    `placed`, for the test to answer or refuse."""

    def __init__(self, config=None, on_incoming=None):
        self.on_incoming = on_incoming
        self.placed: list[MemoryLeg] = []
        self.unreachable: set[str] = set()      # extensions or numbers whose call cannot be placed

    def start(self) -> None:
        pass

    def poll(self, ms: int) -> None:
        pass

    def end_of_turn(self, now: float) -> None:
        pass

    def call_phone(self, owner: LegOwner, extension: str, role: str, *, local_uri: str | None = None,
                   headers: dict[str, str] | None = None) -> Leg | None:
        leg = self._place(owner, extension, role)
        if leg is not None:
            leg.shown_as, leg.headers = local_uri, dict(headers or {})
        return leg

    def dial_out(self, owner: LegOwner, number: str, trunk: dict) -> Leg | None:
        return self._place(owner, number, "outbound")

    def _place(self, owner: LegOwner, target: str, role: str) -> MemoryLeg | None:
        if target in self.unreachable:
            return None
        leg = MemoryLeg(role, target)
        leg.owner = owner
        self.placed.append(leg)
        return leg

    def ringing(self, target: str) -> MemoryLeg:
        """The live leg placed to `target` last."""
        return next(leg for leg in reversed(self.placed) if leg.target == target and not leg.disconnected)

    def sync_trunks(self, trunks: list[dict]) -> None:
        pass

    def pump(self, seconds: float) -> None:
        pass

    def shutdown(self) -> None:
        pass


@dataclass
class MemoryHub:
    """The media hub's bookkeeping without pjmedia: legs, conferences, recordings (silent files)."""
    legs: dict[int, str] = field(default_factory=dict)
    attached: dict[int, object] = field(default_factory=dict)
    joined: dict[int, tuple[int, str, str]] = field(default_factory=dict)     # leg -> (conference, role, mode)
    conferences: set[int] = field(default_factory=set)
    recordings: list[Path] = field(default_factory=list)
    detecting: set[int] = field(default_factory=set)
    digits: list[tuple[int, str]] = field(default_factory=list)
    _next: int = 1

    def _id(self) -> int:
        self._next += 1
        return self._next - 1

    def add_leg(self, name: str = "leg") -> int:
        leg = self._id()
        self.legs[leg] = name
        return leg

    def remove_leg(self, leg: int) -> None:
        self.legs.pop(leg, None)
        self.attached.pop(leg, None)
        self.joined.pop(leg, None)
        self.detecting.discard(leg)

    def attach(self, leg: int, media) -> None:
        self.attached[leg] = media

    def detect_dtmf(self, leg: int, on: bool = True) -> None:
        (self.detecting.add if on else self.detecting.discard)(leg)

    def take_digits(self) -> list[tuple[int, str]]:
        digits, self.digits = self.digits, []
        return digits

    def conference(self) -> int:
        conference = self._id()
        self.conferences.add(conference)
        return conference

    def close_conference(self, conference: int) -> None:
        self.conferences.discard(conference)

    def join(self, leg: int, conference: int, role: str = "party", mode: str = "talk") -> None:
        self.joined[leg] = (conference, role, mode)

    def leave(self, leg: int) -> None:
        self.joined.pop(leg, None)

    def set_mode(self, leg: int, mode: str) -> None:
        conference, role, _ = self.joined[leg]
        self.joined[leg] = (conference, role, mode)

    def record(self, left_leg: int, right_leg: int, path) -> object:
        write_silence(Path(path))
        self.recordings.append(Path(path))
        return path

    def stop_recording(self, rec) -> None:
        pass

    def tick_stats(self, reset: bool = False) -> dict:
        return {}

    def close(self, timeout: float = 2.0) -> None:
        pass
