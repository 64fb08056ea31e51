"""The board's pin map, read from board.conf (`board/<board>/board.conf`, `/etc/callbox/board.conf`
on the box): `NAME=value` lines, `#` comments. Read as data, never run by a shell here."""

from __future__ import annotations

import fcntl
import glob
import re
import struct
from dataclasses import dataclass
from pathlib import Path

BOARD_CONF = Path("/etc/callbox/board.conf")
_LINE = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class PinMap:
    """GPIO line offsets on one chip; None where the board has no such pin."""
    chip_label: str | None
    led: int | None
    button: int | None
    relay: int | None

    @property
    def empty(self) -> bool:
        return self.led is None and self.button is None and self.relay is None


def parse_board_conf(text: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ValueError(f"board.conf line {number}: expected NAME=value, got {raw!r}")
        settings[match.group(1)] = match.group(2).strip()
    return settings


def _offset(settings: dict[str, str], name: str) -> int | None:
    value = settings.get(name, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 4:   # "２２" is isdigit() too
        raise ValueError(f"board.conf {name}: a GPIO line offset is a small number, got {value!r}")
    return int(value)


def pin_map(settings: dict[str, str]) -> PinMap:
    pins = PinMap(chip_label=settings.get("GPIO_CHIP_LABEL") or None, led=_offset(settings, "LED_LINE"),
                  button=_offset(settings, "BUTTON_LINE"), relay=_offset(settings, "RELAY_LINE"))
    # one line wired to two parts would drive the relay from the LED's blinking (or read it as the button)
    used: dict[int, str] = {}
    for name in ("LED_LINE", "BUTTON_LINE", "RELAY_LINE"):
        line = _offset(settings, name)
        if line is not None and line in used:
            raise ValueError(f"board.conf {name}: line {line} is {used[line]} already")
        if line is not None:
            used[line] = name
    if not pins.empty and not pins.chip_label:
        raise ValueError("board.conf names GPIO lines but no GPIO_CHIP_LABEL")
    return pins


def read_pin_map(path: Path = BOARD_CONF) -> PinMap:
    """The box's pin map; no file (a development machine) means no pins."""
    if not path.exists():
        return PinMap(None, None, None, None)
    return pin_map(parse_board_conf(path.read_text()))


# struct gpiochip_info {char name[32]; char label[32]; __u32 lines;} and GPIO_GET_CHIPINFO_IOCTL,
# _IOR(0xB4, 0x01, struct gpiochip_info), from <linux/gpio.h>.
_CHIPINFO = struct.Struct("32s32sI")
_GPIO_GET_CHIPINFO_IOCTL = (2 << 30) | (_CHIPINFO.size << 16) | (0xB4 << 8) | 0x01


def chip_label(path: str) -> str:
    with open(path, "rb", buffering=0) as chip:
        info = bytearray(_CHIPINFO.size)
        fcntl.ioctl(chip, _GPIO_GET_CHIPINFO_IOCTL, info)
    return _CHIPINFO.unpack(bytes(info))[1].split(b"\0", 1)[0].decode(errors="replace")


def find_chip(label: str, chips: list[str] | None = None, label_of=chip_label) -> str:
    """The /dev/gpiochipN whose label is `label` (the Pi 5's header chip changed numbers between kernels)."""
    for path in sorted(chips if chips is not None else glob.glob("/dev/gpiochip*")):
        if label_of(path) == label:
            return path
    raise LookupError(f"no GPIO chip labelled {label!r}")
