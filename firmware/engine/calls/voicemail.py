"""Voicemail (ACD7's overflow destination): the caller's message recorded to a mono WAV.

The leg records itself (a SIP leg with pjmedia's own WAV recorder inside its conference bridge, so
no Python runs per frame). A message cut short by a crash keeps its audio: at start the engine
rewrites the header sizes of every recording from the file's length (call_record.repair_recordings).
"""

from __future__ import annotations

import logging
from pathlib import Path

from firmware.engine.call_record import CallRecord
from firmware.engine.calls.common import recording_finished_later
from firmware.engine.calls.host import CallHost
from firmware.engine.legs import Leg

log = logging.getLogger(__name__)

MAX_MESSAGE_SECONDS = 120.0


class VoicemailRecorder:
    """Records what one caller says until `stop()`; the recording row belongs to the call."""

    def __init__(self, host: CallHost, record: CallRecord, leg: Leg):
        self.host = host
        self.record = record
        self.leg = leg
        self.recording_id: int | None = None
        self.path: Path | None = None

    def start(self) -> bool:
        relative, path = self.host.new_recording("voicemail", self.record.call_id)
        if not self.leg.record(path):
            log.error("call %s: voicemail not recorded", self.record.call_id)
            return False
        self.path = path
        self.recording_id = self.record.recording_started(relative, channels=1)
        return True

    def stop(self) -> None:
        if self.recording_id is None or self.path is None:
            return
        recording_id, self.recording_id = self.recording_id, None
        self.leg.stop_recording()
        recording_finished_later(self.host, self.record, recording_id, self.path)
