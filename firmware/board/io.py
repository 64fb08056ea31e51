"""The board's outputs and input, over GPIO lines opened the way python-periphery opens them.

An opener is `periphery.GPIO` itself, `opener(chip_path, line, direction, **options)` returning an
object with `write(bool)`, `read()`, `close()`; tests pass a stand-in chip with that interface.
The LED and button logic are pure (time passed in), so they are tested without a clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from firmware.board.pins import PinMap, find_chip


class Line(Protocol):
    def write(self, value: bool) -> None: ...
    def read(self) -> bool: ...
    def close(self) -> None: ...


Opener = Callable[..., Line]


def periphery_opener() -> Opener:
    from periphery import GPIO  # python-periphery 2.4: the GPIO character device (v2 ABI)

    return GPIO


class Relay:
    """The line-bypass relay, wired fail-safe: energised, the analog lines go through the box;
    released (also unpowered, booting, or the engine down) they go straight to the fallback phone.
    It is opened released ("low") and only the engine running energises it."""

    def __init__(self, line: Line):
        self.line = line
        self.energised = False

    def energise(self) -> None:
        self.line.write(True)
        self.energised = True

    def release(self) -> None:
        self.line.write(False)
        self.energised = False


class LedState(enum.Enum):
    BOOTING = "booting"
    READY = "ready"
    CALL = "call"           # a call in progress
    FAULT = "fault"         # the engine is down: the lines are on bypass
    CONFIRM = "confirm"     # the button has been held 10 s: release it to reset to factory settings


# (seconds on, seconds off) per state; (1, 0) is steady on.
LED_PATTERNS: dict[LedState, tuple[float, float]] = {
    LedState.BOOTING: (0.5, 0.5),
    LedState.READY: (1.0, 0.0),
    LedState.CALL: (0.9, 0.1),
    LedState.FAULT: (0.1, 0.1),
    LedState.CONFIRM: (0.05, 0.05),
}


def led_level(state: LedState, now: float) -> bool:
    on, off = LED_PATTERNS[state]
    return off == 0 or (now % (on + off)) < on


class ButtonAction(enum.Enum):
    RESTART = "restart"                 # short press: restart the box's services
    CONFIRM = "confirm"                 # held 10 s: the LED asks for the release
    FACTORY_RESET = "factory-reset"     # released after the confirmation


SHORT_PRESS_MAX_S = 2.0
FACTORY_HOLD_S = 10.0


@dataclass
class Button:
    """The reset button's meaning, from its presses and releases and the time (no I/O)."""
    pressed_at: float | None = None
    confirmed: bool = False

    def press(self, now: float) -> None:
        self.pressed_at, self.confirmed = now, False

    def poll(self, now: float) -> ButtonAction | None:
        """While held: CONFIRM once, when the hold reaches FACTORY_HOLD_S."""
        if self.pressed_at is not None and not self.confirmed and now - self.pressed_at >= FACTORY_HOLD_S:
            self.confirmed = True
            return ButtonAction.CONFIRM
        return None

    def release(self, now: float) -> ButtonAction | None:
        if self.pressed_at is None:
            return None
        held, confirmed = now - self.pressed_at, self.confirmed or now - self.pressed_at >= FACTORY_HOLD_S
        self.pressed_at, self.confirmed = None, False
        if confirmed:
            return ButtonAction.FACTORY_RESET
        if held <= SHORT_PRESS_MAX_S:
            return ButtonAction.RESTART
        return None  # held between 2 and 10 s: taken as a change of mind


DEBOUNCE_S = 0.05


@dataclass
class Debounce:
    """A contact's level counted only once it has held DEBOUNCE_S (a button's contacts bounce for a
    few milliseconds at each press and release)."""
    level: bool = False
    seen: bool = False
    seen_since: float = 0.0

    def sample(self, level: bool, now: float) -> bool | None:
        """The new steady level when it changed, else None."""
        if level != self.seen:
            self.seen, self.seen_since = level, now
        if self.seen != self.level and now - self.seen_since >= DEBOUNCE_S:
            self.level = self.seen
            return self.level
        return None


class Board:
    """The lines of one board, opened on its GPIO chip; a pin the board lacks stays None."""

    def __init__(self, pins: PinMap, opener: Opener | None = None, chip_path: str | None = None,
                 find: Callable[[str], str] = find_chip):
        self.pins = pins
        self.relay: Relay | None = None
        self.led: Line | None = None
        self.button: Line | None = None
        if pins.empty:
            return
        if chip_path is None:
            if not pins.chip_label:
                raise ValueError("board.conf names pins but no GPIO_CHIP_LABEL")
            chip_path = find(pins.chip_label)
        opener = opener or periphery_opener()
        options: dict[str, Any] = {"label": "callbox"}
        if pins.relay is not None:
            self.relay = Relay(opener(chip_path, pins.relay, "low", **options))
        if pins.led is not None:
            self.led = opener(chip_path, pins.led, "low", **options)
        if pins.button is not None:
            # to ground with the internal pull-up: pressed reads low, inverted reads it as True
            self.button = opener(chip_path, pins.button, "in", edge="both", bias="pull_up", inverted=True, **options)

    def show(self, state: LedState, now: float) -> None:
        if self.led is not None:
            self.led.write(led_level(state, now))

    def close(self) -> None:
        if self.relay is not None:
            self.relay.release()
        for line in (self.relay.line if self.relay else None, self.led, self.button):
            if line is not None:
                line.close()
