"""The one writer of a call's record: its CDR row (`calls`), its queue events, its events in the
event log (firmware/store/events.py) and its recordings.

Calls say what happened (queued, rung, answered, recorded, ended); a `CallRecord` alone turns that
into rows, as Asterisk's CDR engine alone writes CDRs from what channels report. The functions
below are the record's writes outside a live call: at start (calls and recordings a crash left
open), for an unknown number, and a classification (ACD12). Written inside the engine's loop
transaction (group commit, firmware/store).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from firmware.engine import wavfix
from firmware.store import events, queries

log = logging.getLogger(__name__)


def recording_path(kind: str, call_id: int) -> Path:
    """Where a call's recording goes, relative to the data directory: recordings/YYYY/MM/DD/<kind>-<call>.wav."""
    return Path("recordings") / time.strftime("%Y/%m/%d") / f"{kind}-{call_id}.wav"


class CallRecord:
    """The record of one call, open from its start until `close`."""

    def __init__(self, store: sqlite3.Connection, call_id: int):
        self.store = store
        self.call_id = call_id
        self.closed = False
        # What the event log's figures are measured from (wall clock, as the CDR's times).
        self.entered_at: float | None = None            # entry into the first queue
        self.original_position: int | None = None
        self.rung_at: dict[int, float] = {}             # agent -> when their phone started ringing
        self.answered_at: float | None = None
        self.answer_ring_seconds: float | None = None

    @classmethod
    def open(cls, store: sqlite3.Connection, caller: str, callee: str, *, sip_call_id: str | None = None,
             trunk_id: int | None = None, direction: str = "inbound", callback_of: int | None = None,
             queue_id: int | None = None) -> CallRecord:
        record = cls(store, queries.open_call(store, caller, callee, sip_call_id, trunk_id, direction=direction,
                                              callback_of=callback_of))
        if queue_id is not None:
            queries.update_call(store, record.call_id, queue_id=queue_id)
        return record

    def queued(self, queue_id: int, caller_input: str, *, caller: str = "", position: int | None = None) -> None:
        now = time.time()
        queries.update_call(self.store, self.call_id, queue_id=queue_id, queued_at=now, caller_input=caller_input)
        queries.add_queue_event(self.store, self.call_id, "enter", queue_id, at=now)
        if self.entered_at is None:
            self.entered_at, self.original_position = now, position
        events.append(self.store, "enter", call_id=self.call_id, queue_id=queue_id, at=now, caller=caller,
                      caller_input=caller_input, position=position)

    def event(self, event: str, queue_id: int | None, agent_id: int | None = None, detail: str = "", *,
              position: int | None = None, **data) -> None:
        """A queue event: ring, noanswer, answer, overflow, callback, complete, abandon (`enter`: queued).

        Written to `queue_events` and to the event log, whose data (waits, ring and talk times,
        positions) this record measures itself from the times it saw."""
        now = time.time()
        queries.add_queue_event(self.store, self.call_id, event, queue_id, agent_id, at=now, detail=detail)
        wait = round(now - self.entered_at, 3) if self.entered_at is not None else None
        if event == "ring" and agent_id is not None:
            self.rung_at[agent_id] = now
        elif event == "noanswer":
            data["ring_seconds"] = self._ring_seconds(agent_id, now)
        elif event == "answer":
            self.answered_at = now
            self.answer_ring_seconds = self._ring_seconds(agent_id, now)
            data.update(wait_seconds=wait, ring_seconds=self.answer_ring_seconds,
                        original_position=self.original_position)
        elif event in ("complete", "transfer"):
            answered = self.answered_at if self.answered_at is not None else now
            wait = round(answered - self.entered_at, 3) if self.entered_at is not None else None
            data.update(wait_seconds=wait, talk_seconds=round(now - answered, 3),
                        original_position=self.original_position)
        elif event in ("abandon", "overflow", "callback"):
            data.update(position=position, original_position=self.original_position, wait_seconds=wait)
        events.append(self.store, event, call_id=self.call_id, queue_id=queue_id, agent_id=agent_id, at=now, **data)

    def _ring_seconds(self, agent_id: int | None, now: float) -> float | None:
        started = self.rung_at.pop(agent_id, None) if agent_id is not None else None
        return round(now - started, 3) if started is not None else None

    def moved_to_queue(self, queue_id: int, caller: str = "", caller_input: str = "",
                       position: int | None = None) -> None:
        """Overflowed into another queue: the CDR follows it, and the log has it enter that queue
        (its wait still counts from the first queue, as the CDR's does)."""
        queries.update_call(self.store, self.call_id, queue_id=queue_id)
        events.append(self.store, "enter", call_id=self.call_id, queue_id=queue_id, caller=caller,
                      caller_input=caller_input, position=position, overflowed=True)

    def left_queue(self) -> None:
        queries.update_call(self.store, self.call_id, left_queue_at=time.time())

    def answered(self, agent_id: int, caller_input: str | None = None) -> None:
        fields: dict = {"agent_id": agent_id, "answered_at": time.time()}
        if caller_input is not None:
            fields["caller_input"] = caller_input
        queries.update_call(self.store, self.call_id, **fields)

    def recording_started(self, relative: Path, channels: int) -> int:
        """A recording of this call (its file at `relative`) began: its row, linked from the CDR."""
        recording_id = queries.add_recording(self.store, self.call_id, str(relative), channels=channels)
        queries.update_call(self.store, self.call_id, recording_id=recording_id)
        return recording_id

    def recording_finished(self, recording_id: int, path: Path) -> None:
        """The recorder's file is closed: its length and size go into its row."""
        finish_recording(self.store, recording_id, path)

    def close(self, outcome: str, cause: str, caller_input: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        if caller_input is not None:
            queries.update_call(self.store, self.call_id, caller_input=caller_input)
        queries.close_call(self.store, self.call_id, outcome, cause)


def finish_recording(store: sqlite3.Connection, recording_id: int, path: Path) -> None:
    try:
        info = wavfix.read_info(path)
        queries.finish_recording(store, recording_id, info.duration_seconds, path.stat().st_size)
    except (OSError, wavfix.WavError) as exc:
        log.error("recording %s: %s", path, exc)


def refused_call(store: sqlite3.Connection, caller: str, callee: str, sip_call_id: str, trunk_id: int,
                 cause: str) -> None:
    """A call refused at the door (an unknown number of a known trunk) is kept as failed."""
    record = CallRecord.open(store, caller, callee, sip_call_id=sip_call_id, trunk_id=trunk_id)
    record.close("failed", cause)


def close_lost_calls(store: sqlite3.Connection, cause: str) -> list[int]:
    """At start: every call still open was lost with the previous engine (a `fail` in the event log)."""
    lost = queries.close_lost_calls(store, cause)
    with queries.transaction(store):
        events.close_lost_calls(store, lost, cause, time.time())
    return lost


def close_open_agents(store: sqlite3.Connection) -> int:
    """At start: the agents' logins, pauses and wrap-ups the previous engine left open in the event
    log end now, as its `agent_activity` rows do (queries.close_open_agent_activity)."""
    with queries.transaction(store):
        return events.close_open_agents(store, time.time())


def repair_recordings(store: sqlite3.Connection, data_dir: Path) -> int:
    """At start: recordings left open by a crash get their WAV headers fixed and their real length."""
    repaired = 0
    for rec in queries.unfinished_recordings(store):
        path = data_dir / rec["path"]
        try:
            info = wavfix.repair(path)
        except (OSError, wavfix.WavError) as exc:
            log.error("recording %s cannot be repaired: %s", path, exc)
            queries.finish_recording(store, rec["id"], 0.0, 0)
            continue
        queries.finish_recording(store, rec["id"], info.duration_seconds, path.stat().st_size)
        repaired += 1
    return repaired


def classify(store: sqlite3.Connection, call_id: int, disposition: str, note: str, agent_id: int | None) -> None:
    """How an answered call went (ACD12), from the agent's phone or the web (both by way of the
    engine's `call_classify` command)."""
    queries.classify_call(store, call_id, disposition, note, agent_id)
