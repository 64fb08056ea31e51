"""The conference mixer in plain Python: same API and the same integer arithmetic as cython_ext.mixer."""

from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass, field
from typing import Protocol

UNITY = 4096
ROLES = {"party": 0, "customer": 0, "agent": 1, "supervisor": 2}
MODES = {"talk": 0, "barge": 0, "listen": 1, "whisper": 2}
RATES = (8000, 16000)
ROLE_AGENT, MODE_TALK, MODE_LISTEN, MODE_WHISPER = 1, 0, 1, 2


def _q12(gain: float) -> int:
    if not 0.0 <= gain <= 8.0:
        raise ValueError(f"gain must be within 0.0 .. 8.0, got {gain}")
    return int(gain * UNITY + 0.5)


def _clip(v: int) -> int:
    return 32767 if v > 32767 else (-32768 if v < -32768 else v)


@dataclass
class _Connection:
    conference: int
    role: int
    mode: int
    speak_gain: int = UNITY
    hear_gain: int = UNITY
    muted: bool = False
    has_input: bool = False
    input: list[int] = field(default_factory=list)
    output: list[int] = field(default_factory=list)


class StereoSink(Protocol):
    """What a tap writes its interleaved frames to (the recorder)."""
    channels: int
    rate: int

    def write(self, frame: bytes) -> None: ...


@dataclass
class _Tap:
    left: int
    right: int
    recorder: StereoSink | None
    frame: bytes


class Mixer:
    def __init__(self, rate: int = 8000, ptime_ms: int = 20, capacity: int = 1024):
        if rate not in RATES:
            raise ValueError(f"rate must be one of {RATES}, got {rate}")
        if ptime_ms <= 0 or (rate * ptime_ms) % 1000:
            raise ValueError(f"ptime_ms {ptime_ms} gives no whole frame at {rate} Hz")
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.rate, self.frame, self.capacity = rate, rate * ptime_ms // 1000, capacity
        self._conns: dict[int, _Connection] = {}
        self._confs: dict[int, list[int]] = {}
        self._taps: dict[int, _Tap] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _free(used, capacity: int, what: str) -> int:
        for i in range(capacity):
            if i not in used:
                return i
        raise RuntimeError(f"all {capacity} {what} in use")

    def _conn(self, conn: int) -> _Connection:
        try:
            return self._conns[conn]
        except KeyError:
            raise KeyError(f"no connection {conn}") from None

    def conference(self) -> int:
        c = self._free(self._confs, self.capacity, "conferences")
        self._confs[c] = []
        return c

    def close_conference(self, conference: int) -> None:
        if conference not in self._confs:
            raise KeyError(f"no conference {conference}")
        while self._confs[conference]:
            self.disconnect(self._confs[conference][0])
        del self._confs[conference]

    def connect(self, conference: int, role: str = "party", mode: str = "talk") -> int:
        if conference not in self._confs:
            raise KeyError(f"no conference {conference}")
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        conn = self._free(self._conns, self.capacity, "connections")
        with self._lock:
            self._conns[conn] = _Connection(conference, ROLES[role], MODES[mode], output=[0] * self.frame)
            self._confs[conference].append(conn)
        return conn

    def disconnect(self, conn: int) -> None:
        c = self._conn(conn)
        with self._lock:
            self._confs[c.conference].remove(conn)
            del self._conns[conn]
            for t, tap in list(self._taps.items()):
                if conn in (tap.left, tap.right):
                    del self._taps[t]

    def members(self, conference: int) -> list[int]:
        if conference not in self._confs:
            raise KeyError(f"no conference {conference}")
        return sorted(self._confs[conference])

    def set_mode(self, conn: int, mode: str) -> None:
        c = self._conn(conn)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        c.mode = MODES[mode]

    def set_gain(self, conn: int, speak: float = 1.0, hear: float = 1.0) -> None:
        c = self._conn(conn)
        c.speak_gain, c.hear_gain = _q12(speak), _q12(hear)

    def set_mute(self, conn: int, muted: bool) -> None:
        self._conn(conn).muted = bool(muted)

    def tap(self, left: int, right: int, recorder=None) -> int:
        self._conn(left)
        self._conn(right)
        if recorder is not None and (recorder.channels != 2 or recorder.rate != self.rate):
            raise ValueError(f"the recorder must be stereo at {self.rate} Hz")
        t = self._free(self._taps, self.capacity, "taps")
        self._taps[t] = _Tap(left, right, recorder, bytes(4 * self.frame))
        return t

    def untap(self, tap: int) -> None:
        if tap not in self._taps:
            raise KeyError(f"no tap {tap}")
        del self._taps[tap]

    def write(self, conn: int, pcm) -> None:
        c = self._conn(conn)
        data = bytes(pcm)
        if len(data) != 2 * self.frame:
            raise ValueError(f"a frame is {2 * self.frame} bytes at {self.rate} Hz, got {len(data)}")
        c.input = list(array("h", data))
        c.has_input = True

    def read(self, conn: int) -> bytes:
        return array("h", self._conn(conn).output).tobytes()

    def read_tap(self, tap: int) -> bytes:
        if tap not in self._taps:
            raise KeyError(f"no tap {tap}")
        return self._taps[tap].frame

    def tick(self, keep_inputs: bool = False) -> None:
        n = self.frame
        with self._lock:
            for members in self._confs.values():
                heard = [0] * n          # what everyone hears
                whispered = [0] * n      # what only agents hear
                whisper = False
                for m in members:
                    c = self._conns[m]
                    if not c.has_input or c.muted or c.mode == MODE_LISTEN:
                        continue
                    acc = heard
                    if c.mode == MODE_WHISPER:
                        acc, whisper = whispered, True
                    for i, x in enumerate(c.input):
                        acc[i] += (x * c.speak_gain) >> 12
                for m in members:
                    c = self._conns[m]
                    own = c.has_input and not c.muted and (
                        c.mode == MODE_TALK or (c.mode == MODE_WHISPER and c.role == ROLE_AGENT))
                    out = []
                    for i in range(n):
                        v = heard[i]
                        if whisper and c.role == ROLE_AGENT:
                            v += whispered[i]
                        if own:
                            v -= (c.input[i] * c.speak_gain) >> 12
                        if c.hear_gain != UNITY:
                            v = _clip((v * c.hear_gain) >> 12)
                        out.append(_clip(v))
                    c.output = out
            for tap in self._taps.values():
                left, right = self._conns[tap.left], self._conns[tap.right]
                frame = array("h", [0] * (2 * n))
                if left.has_input:
                    frame[0::2] = array("h", left.input)
                if right.has_input:
                    frame[1::2] = array("h", right.input)
                tap.frame = frame.tobytes()
                if tap.recorder is not None:
                    tap.recorder.write(tap.frame)
            if not keep_inputs:
                for c in self._conns.values():
                    c.has_input = False
