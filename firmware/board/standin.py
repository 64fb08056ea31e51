"""A stand-in GPIO chip: the interface of python-periphery's GPIO, with the lines' levels kept in a
JSON file (`{"17": true, ...}`) instead of a chip. For development boxes and tests, where there is
no GPIO: what the relay and the LED do can be read from the file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class StandInChip:
    def __init__(self, state_file: Path):
        self.state_file = state_file
        self._lock = threading.Lock()  # the LED thread and the listener write lines of one file

    def levels(self) -> dict[int, bool]:
        try:
            return {int(k): v for k, v in json.loads(self.state_file.read_text()).items()}
        except FileNotFoundError:
            return {}

    def input_level(self, line: int) -> bool:
        """An input's level: from the inputs file (`<state file>.inputs`, `{"27": true}`) where it
        names the line, which only the outside writes (a test pressing the button), so the chip's
        own rewrites of the state file never race it; else the state file's."""
        try:
            inputs = json.loads(self.state_file.with_suffix(".inputs").read_text())
        except (FileNotFoundError, ValueError):
            inputs = {}
        value = inputs.get(str(line)) if isinstance(inputs, dict) else None
        return value if isinstance(value, bool) else self.levels().get(line, False)

    def _set(self, line: int, value: bool) -> None:
        with self._lock:
            levels = self.levels()
            levels[line] = value
            partial = self.state_file.with_suffix(".partial")
            partial.write_text(json.dumps({str(k): v for k, v in sorted(levels.items())}))
            os.replace(partial, self.state_file)  # readers never see half a file

    def __call__(self, path: str, line: int, direction: str, **options) -> StandInLine:
        """periphery.GPIO(path, line, direction, ...)"""
        if direction not in ("in", "out", "high", "low"):
            raise ValueError(f"invalid direction {direction!r}")
        standin = StandInLine(self, line)
        if direction in ("high", "low"):
            standin.write(direction == "high")
        return standin


class StandInLine:
    def __init__(self, chip: StandInChip, line: int):
        self.chip, self.line, self.closed = chip, line, False

    def write(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError("value must be a bool")  # as periphery
        self.chip._set(self.line, value)

    def read(self) -> bool:
        return self.chip.input_level(self.line)

    def close(self) -> None:
        self.closed = True
