"""Voicemail (ACD7's overflow destination): the caller's message recorded to a mono WAV.

pjmedia's own WAV recorder takes the caller's audio inside its conference bridge, so no Python runs
per frame. A message cut short by a crash keeps its audio: at start the engine rewrites the header
sizes of every recording from the file's length (firmware/engine/wavfix.py).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pjsua2 as pj

from firmware.store import queries

if TYPE_CHECKING:
    from firmware.engine.engine import Engine

log = logging.getLogger(__name__)

MAX_MESSAGE_SECONDS = 120.0


def voicemail_relative_path(call_id: int) -> Path:
    return Path("recordings") / time.strftime("%Y/%m/%d") / f"voicemail-{call_id}.wav"


class VoicemailRecorder:
    """Records what one caller says until `stop()`; the recording row belongs to the call."""

    def __init__(self, engine: Engine, call_id: int):
        self.engine = engine
        self.call_id = call_id
        self.recorder: pj.AudioMediaRecorder | None = None
        self.media: pj.AudioMedia | None = None
        self.recording_id: int | None = None
        self.path: Path | None = None

    def start(self, media: pj.AudioMedia) -> bool:
        relative = voicemail_relative_path(self.call_id)
        path = self.engine.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        try:
            recorder.createRecorder(str(path))
            media.startTransmit(recorder)
        except pj.Error as exc:
            log.error("call %s: voicemail not recorded: %s", self.call_id, exc.info())
            return False
        self.recorder, self.media, self.path = recorder, media, path
        self.recording_id = queries.add_recording(self.engine.store, self.call_id, str(relative), channels=1)
        queries.update_call(self.engine.store, self.call_id, recording_id=self.recording_id)
        return True

    def stop(self) -> None:
        if self.recorder is None:
            return
        recorder, self.recorder = self.recorder, None
        try:
            self.media.stopTransmit(recorder)
        except pj.Error as exc:        # the caller's media may be gone already
            log.debug("call %s: stopping the voicemail: %s", self.call_id, exc.info())
        # Destroyed at the end of this loop turn (a recorder posts no end-of-file event, unlike a
        # player); pjmedia then closes the file, with its sizes, on a tick of its clock, and
        # finish_recording measures it after that.
        self.engine.retire(recorder)
        self.engine.finish_recording(self.recording_id, self.path)
