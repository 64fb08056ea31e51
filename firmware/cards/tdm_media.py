"""A TDM channel's audio on the box's side: a port in pjsua's bridge (`PjTdmMedia`, the box) or a buffer
in memory (`MemoryTdmMedia`, tests on memory legs). The line thread calls `feed` and `take`; the
engine's thread plays, records and attaches."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


class PjTdmMedia:
    """cython_ext.tdmport.TdmPort (the jitter buffer into the bridge, a ring out of it) with pjsua2's
    player and recorder on its slot, as a SIP leg has them on its call's media."""

    def __init__(self, name: str):
        import pjsua2 as pj

        from cython_ext.pjport import audio_media
        from cython_ext.tdmport import TdmPort

        self._pj = pj
        self.port = TdmPort(name)
        self.slot = self.port.slot
        self.media = audio_media(self.slot)
        self.player = None
        self.recorder = None

    def feed(self, pcm: bytes, arrival: float) -> None:
        self.port.feed(pcm, arrival)

    def take(self, samples: int) -> bytes:
        return self.port.take(samples)

    def play(self, files: list[str]) -> bool:
        from firmware.engine import ua     # pjsua2 only where it is used
        self.stop_playing()
        self.player = ua.start_player(files, self.media)
        return self.player is not None

    def stop_playing(self) -> None:
        """As SipLeg.stop_playing: the player lingers a second before it is destroyed (pjproject #5045)."""
        from firmware.engine import ua
        player, self.player = self.player, None
        if player is None:
            return
        try:
            player.stopTransmit(self.media)
        except self._pj.Error as exc:
            log.debug("stopping a prompt: %s", exc.info())
        ua.LINGERING.append((time.monotonic() + ua.PLAYER_LINGER, player))

    def record(self, path: Path) -> bool:
        pj = self._pj
        recorder = pj.AudioMediaRecorder()
        try:
            recorder.createRecorder(str(path))
            self.media.startTransmit(recorder)
        except pj.Error as exc:
            log.error("recording to %s not started: %s", path, exc.info())
            return False
        self.recorder = recorder
        return True

    def stop_recording(self) -> None:
        from firmware.engine import ua
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        try:
            self.media.stopTransmit(recorder)
        except self._pj.Error as exc:
            log.debug("stopping a recording: %s", exc.info())
        ua.RETIRED.append(recorder)

    def close(self) -> None:
        self.stop_playing()
        self.stop_recording()
        self.port.close()


class MemoryTdmMedia:
    """The same in memory: what the line said is kept in `said`, what the box says is `saying`
    (silence unless a test sets it); players and recorders are noted, not run."""

    slot = -1

    def __init__(self, name: str = "tdm"):
        self.name = name
        self.lock = threading.Lock()
        self.said = bytearray()
        self.saying = b""
        self.played: list[list[str]] = []
        self.playing: list[str] | None = None
        self.recording: Path | None = None
        self.closed = False

    def feed(self, pcm: bytes, arrival: float) -> None:
        with self.lock:
            self.said += pcm
            del self.said[:-160000]

    def take(self, samples: int) -> bytes:
        with self.lock:
            out, self.saying = self.saying[: samples * 2], self.saying[samples * 2:]
        return out + b"\0" * (samples * 2 - len(out))

    def play(self, files: list[str]) -> bool:
        self.playing = list(files)
        self.played.append(self.playing)
        return bool(files)

    def stop_playing(self) -> None:
        self.playing = None

    def record(self, path: Path) -> bool:
        from firmware.engine.memory_leg import write_silence
        write_silence(path)
        self.recording = path
        return True

    def stop_recording(self) -> None:
        self.recording = None

    def close(self) -> None:
        self.closed = True
