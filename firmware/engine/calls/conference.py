"""A conference of up to 50 parties in the media hub (TEL6): phones dialled in by extension, and
live calls moved in with both their parties (who go back to their own call when removed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from firmware.engine.calls.common import Bridge
from firmware.engine.calls.host import CallHost
from firmware.engine.legs import Leg

MAX_CONFERENCE_MEMBERS = 50


class ConnectedCall(Protocol):
    """A live call that can be moved into a room (calls.inbound.InboundSession)."""
    call_id: int
    bridge: Bridge | None

    @property
    def talking(self) -> bool: ...


@dataclass
class Member:
    id: int
    kind: str                        # "phone" (an extension dialled in) or "call" (a live call moved in)
    label: str
    leg: Leg | None = None           # a phone's own leg
    call: ConnectedCall | None = None   # a moved call
    hub_legs: tuple[int, ...] = ()   # its legs in the hub, once connected

    @property
    def call_id(self) -> int | None:
        return self.call.call_id if self.call is not None else None


class ConferenceRoom:
    def __init__(self, host: CallHost, room_id: int):
        self.host = host
        self.id = room_id
        self.conference = host.hub.conference()
        self.members: dict[int, Member] = {}
        self._next_member = 1

    def _new_member(self, kind: str, label: str, **fields) -> Member:
        if len(self.members) >= MAX_CONFERENCE_MEMBERS:
            raise ValueError(f"conference {self.id} is full ({MAX_CONFERENCE_MEMBERS} members)")
        member = Member(self._next_member, kind, label, **fields)
        self._next_member += 1
        self.members[member.id] = member
        self.host.changed()
        return member

    def add_phone(self, extension: str) -> Member:
        member = self._new_member("phone", extension)
        member.leg = self.host.ring(self, extension, role="conference")
        if member.leg is None:
            self._forget(member)
            raise ValueError(f"the phone {extension} cannot be rung")
        return member

    def add_call(self, call: ConnectedCall) -> Member:
        bridge = call.bridge
        if bridge is None or not call.talking:
            raise ValueError(f"call {call.call_id} is not connected")
        if any(m.call_id == call.call_id for m in self.members.values()):
            raise ValueError(f"call {call.call_id} is already in conference {self.id}")
        member = self._new_member("call", f"call {call.call_id}", call=call, hub_legs=bridge.legs)
        for leg in bridge.legs:
            self.host.hub.leave(leg)
            self.host.hub.join(leg, self.conference, role="party")
        return member

    def remove(self, member_id: int) -> None:
        member = self.members.get(member_id)
        if member is None:
            raise ValueError(f"no member {member_id} in conference {self.id}")
        if member.kind == "call":
            bridge = member.call.bridge if member.call is not None else None
            if bridge is not None:
                roles = ("customer", "agent")
                for leg, role in zip(member.hub_legs, roles):
                    self.host.hub.leave(leg)
                    self.host.hub.join(leg, bridge.conference, role=role)
            self._forget(member)
        else:
            leg = member.leg
            self._forget(member)
            if leg is not None:
                leg.hang_up()

    def call_ended(self, call_id: int) -> None:
        """A moved call ended on its own: its legs are already gone from the hub."""
        for member in [m for m in self.members.values() if m.call_id == call_id]:
            self.members.pop(member.id, None)
            self.host.changed()

    def close(self) -> None:
        for member_id in list(self.members):
            self.remove(member_id)
        self.host.hub.close_conference(self.conference)

    # --- a dialled phone's leg events ----------------------------------------------------------------

    def _member_of(self, leg: Leg) -> Member | None:
        return next((m for m in self.members.values() if m.leg is leg), None)

    def leg_answered(self, leg: Leg) -> None:
        member = self._member_of(leg)
        if member is not None:
            self._connect(member)

    def leg_ended(self, leg: Leg) -> None:
        member = self._member_of(leg)
        if member is not None:
            self._forget(member)

    def leg_media(self, leg: Leg) -> None:
        member = self._member_of(leg)
        if member is not None:
            self._connect(member)

    def leg_key(self, leg: Leg, digit: str) -> None:
        pass

    def _connect(self, member: Member) -> None:
        leg = member.leg
        if member.hub_legs or leg is None or not leg.confirmed or not leg.has_media:
            return
        hub = self.host.hub
        hub_leg = hub.add_leg(f"conference-{self.id}-{member.id}")
        leg.attach(hub, hub_leg)
        hub.join(hub_leg, self.conference, role="party")
        member.hub_legs = (hub_leg,)
        self.host.changed()

    def _forget(self, member: Member) -> None:
        self.members.pop(member.id, None)
        if member.kind == "phone":
            for hub_leg in member.hub_legs:
                self.host.hub.leave(hub_leg)
                self.host.hub.remove_leg(hub_leg)
            if member.leg is not None:
                member.leg.release()
        self.host.changed()

    def describe(self) -> dict:
        return {"id": self.id, "members": [
            {"id": m.id, "kind": m.kind, "label": m.label, "call_id": m.call_id, "connected": bool(m.hub_legs)}
            for m in self.members.values()]}
