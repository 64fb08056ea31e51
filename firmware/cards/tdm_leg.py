"""TDM legs: a card's channel as a call leg like a SIP one (legs.Leg), and the card trunks that carry them.

`CardTrunks` is to the card lines what `sip_ua.SipUa` is to SIP: the engine gives it the trunks of
type `fxo`, it runs one `CardLine` (driver, serial link thread, alarm state) per trunk, hands the
engine each call a line offers (`on_incoming(leg, trunk, caller)`, routed like a SIP trunk's call to
the trunk's number) and places calls out through a line (`dial_out`). Everything here runs in the
engine's thread: the line threads only queue events, which `poll` delivers to the legs' owners in
the loop's turn, as SIP events are. A line that is down for ALARM_AFTER seconds raises the alarm
`trunk-down` on subject "trunk <name>" (ACD15, kept by the alarm book like the ACD's), cleared when
the line is up again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from firmware.acd import ClearAlarm, RaiseAlarm
from firmware.cards.serial_link import SerialLine
from firmware.cards.v253_driver import Answered, CallOffered, Ended, Key, LineChecked, LineDown, LineUp, V253Driver
from firmware.engine.legs import Hub, LegError, LegOwner

log = logging.getLogger(__name__)

ALARM_AFTER = 3.0          # seconds a line may be down (a replug, a reset) before the alarm is raised
# A call out that failed, as the SIP status a leg reports (the ACD and CDRs read those).
END_STATUS = {"busy": 486, "no-answer": 480, "no-dialtone": 503, "line-down": 503, "line-busy": 486,
              "bad-number": 404, "failed": 500, "answer-failed": 500}


class TdmLeg:
    """One call on an analog line (`legs.Leg`)."""

    def __init__(self, line: CardLine, role: str, target: str = ""):
        self.line = line
        self.role = role
        self.target = target
        self.owner: LegOwner | None = None
        self.confirmed = False
        self.disconnected = False
        self.last_status = 0
        self.released = False
        self.cause = ""
        self.media = line.new_media()

    @property
    def has_media(self) -> bool:
        return self.confirmed and not self.disconnected and self.media is not None

    def answer(self) -> None:
        if self.disconnected:
            raise LegError("the caller is gone")
        self.line.link.request("answer")

    def hang_up(self, status: int = 0) -> None:
        if self.disconnected:
            return
        if status and not self.confirmed:
            self.last_status = status
        self.disconnected = True
        self.line.link.request("hang_up")
        self._let_go()

    def play(self, files: list[str]) -> bool:
        if not self.has_media or not files:
            return False
        return self.media.play(files)

    def stop_playing(self) -> None:
        if self.media is not None:
            self.media.stop_playing()

    def attach(self, hub: Hub, hub_leg: int) -> None:
        hub.attach(hub_leg, self.media.slot if self.media.slot >= 0 else self)

    def record(self, path: Path) -> bool:
        return self.has_media and self.media.record(path)

    def stop_recording(self) -> None:
        if self.media is not None:
            self.media.stop_recording()

    def release(self) -> None:
        self.owner, self.released = None, True

    # --- from the line (the engine's thread, CardTrunks.poll) ----------------------------------------

    def line_answered(self) -> None:
        if self.disconnected:
            return
        self.confirmed, self.last_status = True, 200
        if self.owner is not None:
            self.owner.leg_answered(self)
        if self.owner is not None and not self.disconnected:
            self.owner.leg_media(self)

    def line_key(self, digit: str) -> None:
        if self.owner is not None and not self.disconnected:
            self.owner.leg_key(self, digit)

    def line_ended(self, cause: str) -> None:
        if self.disconnected:
            return
        self.disconnected, self.cause = True, cause
        if not self.confirmed:
            self.last_status = END_STATUS.get(cause, 487)
        self._let_go()
        if self.owner is not None:
            self.owner.leg_ended(self)

    def _let_go(self) -> None:
        if self.line.leg is self:
            self.line.leg = None
        media, self.media = self.media, None
        self.line.media = None
        if media is not None:
            media.close()


class CardLine:
    """One fxo trunk: its driver, its serial link, its call (at most one), its alarm."""

    def __init__(self, trunk: dict, media_factory: Callable[[str], object]):
        self.trunk = trunk
        self.name = trunk["name"]
        self.media_factory = media_factory
        self.media = None                  # the current call's media (read by the line thread)
        self.leg: TdmLeg | None = None
        self.driver = V253Driver(f"trunk {self.name}", trunk.get("dialect") or "auto", hear=self._hear, say=self._say)
        self.link = SerialLine(trunk["device"], self.driver)
        self.up = False
        self.down_since = time.monotonic()
        self.alarm_raised = False
        self.last_check: dict | None = None     # the last card test's result

    def new_media(self):
        self.media = self.media_factory(f"fxo-{self.name}"[:40])
        return self.media

    def _hear(self, pcm: bytes, now: float) -> None:       # the line thread
        media = self.media
        if media is not None:
            media.feed(pcm, now)

    def _say(self, samples: int) -> bytes:                  # the line thread
        media = self.media
        return media.take(samples) if media is not None else b"\0\0" * samples


def _pj_media(name: str):
    from firmware.cards.tdm_media import PjTdmMedia
    return PjTdmMedia(name)


class CardTrunks:
    def __init__(self, on_incoming: Callable[[TdmLeg, dict, str], None],
                 on_alarm: Callable[[RaiseAlarm | ClearAlarm], None] = lambda action: None,
                 media_factory: Callable[[str], object] | None = None):
        self.on_incoming = on_incoming
        self.on_alarm = on_alarm
        self.media_factory = media_factory or _pj_media
        self.lines: dict[int, CardLine] = {}

    def sync(self, trunks: list[dict]) -> None:
        """A line per fxo trunk (a trunk is not edited, only created and deleted)."""
        wanted = {t["id"]: t for t in trunks if t["type"] == "fxo" and t.get("device")}
        for trunk_id in list(self.lines):
            if trunk_id not in wanted:
                self._stop_line(self.lines.pop(trunk_id))
        for trunk_id, trunk in wanted.items():
            if trunk_id not in self.lines:
                line = CardLine(trunk, self.media_factory)
                self.lines[trunk_id] = line
                line.link.start()
                log.info("trunk %s: fxo line on %s", trunk["name"], trunk["device"])

    def poll(self, now: float) -> bool:
        """Delivers what the lines reported since the last turn; True if anything happened."""
        happened = False
        for line in list(self.lines.values()):
            for event in line.link.take_events():
                happened = True
                self._deliver(line, event)
            if not line.up and not line.alarm_raised and now - line.down_since >= ALARM_AFTER:
                line.alarm_raised, happened = True, True
                self.on_alarm(RaiseAlarm("trunk-down", f"trunk {line.name}",
                                         f"the modem on {line.trunk['device']} does not answer"))
        return happened

    def _deliver(self, line: CardLine, event) -> None:
        leg = line.leg
        if isinstance(event, CallOffered):
            if leg is not None:
                log.warning("trunk %s: a call offered while the line has one", line.name)
                return
            leg = TdmLeg(line, "caller")
            line.leg = leg
            self.on_incoming(leg, line.trunk, event.caller)
        elif isinstance(event, Answered):
            if leg is not None:
                leg.line_answered()
        elif isinstance(event, Key):
            if leg is not None:
                leg.line_key(event.digit)
        elif isinstance(event, Ended):
            if leg is not None:
                leg.line_ended(event.cause)
        elif isinstance(event, LineUp):
            line.up = True
            if line.alarm_raised:
                line.alarm_raised = False
                self.on_alarm(ClearAlarm("trunk-down", f"trunk {line.name}"))
        elif isinstance(event, LineChecked):
            line.last_check = {"dial_tone": event.dial_tone, "seconds": event.seconds, "detail": event.detail,
                               "at": time.time()}
            log.info("trunk %s: line test: %s", line.name, event.detail)
        elif isinstance(event, LineDown):
            if line.up:
                line.up, line.down_since = False, time.monotonic()

    def dial_out(self, owner: LegOwner, number: str, trunk: dict) -> TdmLeg | None:
        """A call out through the trunk's line; None when the line is down or has a call."""
        line = self.lines.get(trunk["id"])
        if line is None or not line.up or line.leg is not None:
            log.warning("cannot dial %s through %s: the line is %s", number, trunk["name"],
                        "busy" if line is not None and line.leg is not None else "down")
            return None
        leg = TdmLeg(line, "outbound", number)
        leg.owner = owner
        line.leg = leg
        line.link.request("dial", number)
        return leg

    def state(self, trunk_id: int) -> dict | None:
        """What the line is doing, for the console and the API (read in the engine's thread: the
        driver's fields are single values the line thread replaces whole)."""
        line = self.lines.get(trunk_id)
        if line is None:
            return None
        driver = line.driver
        return {"up": line.up, "state": driver.state, "codec": driver.codec if line.up else None,
                "full_duplex": driver.full_duplex if line.up else None, "in_call": line.leg is not None,
                "last_check": line.last_check}

    def check(self, trunk_id: int) -> bool:
        """Starts the card test on the line (off hook, dial tone?); its result comes to `state`."""
        line = self.lines.get(trunk_id)
        if line is None:
            return False
        line.link.request("check_line")
        return True

    def stop(self) -> None:
        """The engine stops: its calls were hung up just before; each line goes on hook (up to a
        second each) before its thread ends."""
        for line in self.lines.values():
            self._stop_line(line, wait=True)
        self.lines.clear()

    def _stop_line(self, line: CardLine, wait: bool = False) -> None:
        """A line goes (its trunk deleted, the engine stopping): its call ends, the modem goes on
        hook. At a reload the loop does not wait for that: a thread of its own does."""
        if line.leg is not None:
            line.leg.line_ended("trunk-removed")       # the owner ends its call
        line.link.request("hang_up")
        if wait:
            line.link.stop()
        else:
            threading.Thread(target=line.link.stop, name=f"stop {line.name}", daemon=True).start()
