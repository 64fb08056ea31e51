"""The caller's callback menu (ACD13): after the callback key, which number to call back and when.

    callback key -> "We will call you back at 0 7 0 1 2 3. To keep this number, press 1.
                     For another number, press 2."  -> 2 -> "Enter the number, then the hash key."
                 -> "As soon as it is your turn, press 1. At a later hour today, press 2."
                 -> 2 -> "Enter the hour, from 0 to 23, then the hash key."  -> Chosen(number, hour)

Pure: keys in, prompts and a decision out; the session plays the prompts and tells the ACD. A
step a caller does not answer, or `*`, leaves the menu: the caller is still in the queue, in the
same place. Each step accepts a few wrong answers before giving up the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

MIN_DIGITS, MAX_DIGITS = 3, 20
TRIES = 3


@dataclass(frozen=True)
class Play:
    """Prompts for the caller (names; an int is spoken as a number)."""
    parts: tuple[str | int, ...]


@dataclass(frozen=True)
class Chosen:
    number: str
    hour: int | None      # the hour (local time, today) to call back from; None: when it is your turn


@dataclass(frozen=True)
class Back:
    """The menu is left; the caller keeps waiting."""
    reason: str


Outcome = Play | Chosen | Back | None     # None: a key taken, nothing to say yet


class CallbackMenu:
    def __init__(self, caller: str, *, ask_number: bool, later_hours: frozenset[int] = frozenset()):
        """`caller`: the number the call came from; `later_hours`: the hours the caller may choose
        (empty: the "later" step is not offered)."""
        self.caller = caller
        self.caller_digits = "".join(ch for ch in caller if ch.isdigit())
        self.ask_number = ask_number
        self.later_hours = later_hours
        self.number = caller
        self.step = ""
        self.typed = ""
        self.tries = 0

    def start(self) -> Chosen | Play:
        if not self.ask_number and len(self.caller_digits) >= MIN_DIGITS:
            return self._ask_when()
        if len(self.caller_digits) < MIN_DIGITS:        # anonymous or too short to call back
            return self._go("enter-number", ("callback-enter-number",))
        return self._go("number", ("callback-number-is", *map(int, self.caller_digits), "callback-number-choice"))

    def key(self, key: str) -> Outcome:
        if key == "*":
            return Back("the caller went back to the queue")
        return getattr(self, "_on_" + self.step.replace("-", "_"))(key)

    def timeout(self) -> Back:
        return Back(f"no answer at step {self.step}")

    # --- steps ----------------------------------------------------------------------------------

    def _on_number(self, key: str) -> Outcome:
        if key == "1":
            self.number = self.caller
            return self._ask_when()
        if key == "2":
            return self._go("enter-number", ("callback-enter-number",))
        return self._wrong(("callback-number-choice",))

    def _on_enter_number(self, key: str) -> Outcome:
        if key.isdigit():
            self.typed += key
            if len(self.typed) <= MAX_DIGITS:
                return None
        elif key == "#" and len(self.typed) >= MIN_DIGITS:
            self.number = self.typed
            return self._ask_when()
        self.typed = ""
        return self._wrong(("callback-enter-number",))

    def _on_when(self, key: str) -> Outcome:
        if key == "1":
            return Chosen(self.number, None)
        if key == "2":
            return self._go("enter-hour", ("callback-enter-hour",))
        return self._wrong(("callback-when",))

    def _on_enter_hour(self, key: str) -> Outcome:
        if key.isdigit() and len(self.typed) < 2:
            self.typed += key
            return None
        if key == "#" and self.typed and int(self.typed) in self.later_hours:
            return Chosen(self.number, int(self.typed))
        self.typed = ""
        return self._wrong(("callback-enter-hour",))

    # --- helpers --------------------------------------------------------------------------------

    def _ask_when(self) -> Chosen | Play:
        if not self.later_hours:
            return Chosen(self.number, None)
        return self._go("when", ("callback-when",))

    def _go(self, step: str, parts: tuple[str | int, ...]) -> Play:
        self.step, self.typed, self.tries = step, "", 0
        return Play(parts)

    def _wrong(self, again: tuple[str | int, ...]) -> Play | Back:
        self.tries += 1
        if self.tries >= TRIES:
            return Back(f"{TRIES} wrong answers at step {self.step}")
        return Play(("callback-invalid", *again))


# --- the hours on offer -------------------------------------------------------------------------

def later_hours(now: float, zone: dt.tzinfo, is_open: Callable[[float], bool]) -> frozenset[int]:
    """The whole hours left today (in `zone`) at whose start `is_open` says yes."""
    local = dt.datetime.fromtimestamp(now, zone)
    return frozenset(hour for hour in range(local.hour + 1, 24) if is_open(hour_interval(now, zone, hour)[0]))


def hour_interval(now: float, zone: dt.tzinfo, hour: int) -> tuple[float, float]:
    """Today's `hour` in `zone`, from its start to the next hour's, as Unix times."""
    day = dt.datetime.fromtimestamp(now, zone).date()
    start = dt.datetime.combine(day, dt.time(hour), zone)
    return start.timestamp(), (start + dt.timedelta(hours=1)).timestamp()
