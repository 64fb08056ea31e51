"""The callback book: the `callbacks` table follows the ACD's callback requests (ACD13, ACD14).

Each request is kept when it is registered and written again at every change (status, attempts,
last handler, log), so the list works while the engine is down; at start the open ones go back
into the ACD in their original places, so a crash loses none. The ACD runs on the monotonic clock,
the table keeps wall-clock times.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from firmware.acd import Acd, CallbackRegistered, CallbackRequest
from firmware.sms.confirmation import queue_callback_confirmation
from firmware.store import queries

log = logging.getLogger(__name__)


class CallbackBook:
    def __init__(self, store: sqlite3.Connection, acd: Acd):
        self.store = store
        self.acd = acd

    def registered(self, action: CallbackRegistered) -> None:
        request = self.acd.callbacks.get(action.call_id)
        call = queries.get_call(self.store, action.call_id)
        if request is not None and call is not None:
            wanted_from, wanted_until = wanted_interval(request, time.monotonic(), time.time())
            queries.save_callback(self.store, action.call_id, request.queue_id, action.number, call["started_at"],
                                  caller_input=request.caller_input, forced=action.forced,
                                  wanted_from=wanted_from, wanted_until=wanted_until)
            # the caller's SMS confirmation (TEL11), queued in the same turn; the SMS service sends it
            queue_callback_confirmation(self.store, action.call_id, action.number, request.queue_id,
                                        wanted_from, wanted_until)

    def save(self, call_id: int) -> None:
        """The callback list row follows the ACD's request (status, attempts, handler, log)."""
        request = self.acd.callbacks.get(call_id)
        if request is not None:
            queries.update_callback(self.store, call_id, status=request.status, attempts=request.attempts,
                                    last_handler=request.last_handler, log=request.log)

    def restore_all(self, queue_ids) -> int:
        """Open callbacks of the store go back to the ACD in their places (after a restart or crash)."""
        restored = 0
        for row in queries.open_callbacks(self.store):
            if row["queue_id"] in queue_ids:
                self._restore(row)
                restored += 1
        return restored

    def take_up_failed(self, call_id: int, queue_ids) -> None:
        """A failed callback is not restored at start (the list keeps them all); a handler who acts
        on one brings it back into the ACD, as failed, to requeue or call it."""
        row = queries.get_callback(self.store, call_id)
        if row is not None and row["status"] == "failed" and row["queue_id"] in queue_ids:
            self._restore(row, failed=True)

    def _restore(self, row: dict, failed: bool = False) -> None:
        now, wall = time.monotonic(), time.time()
        self.acd.callback_restored(row["call_id"], row["queue_id"], row["number"], now,
                                   arrived_at=now - (wall - row["arrived_at"]), caller_input=row["caller_input"],
                                   attempts=row["attempts"], forced=bool(row["forced"]), log=tuple(row["log"]),
                                   interval=acd_interval(row, now, wall), failed=failed)
        self.save(row["call_id"])


def wanted_interval(request: CallbackRequest, now: float, wall: float) -> tuple[float | None, float | None]:
    """The interval the caller chose, from the ACD's monotonic clock to wall-clock times for the
    store; NULL/NULL ("as soon as possible") when they chose none, so a restart keeps their place.
    The ACD says which it is: an interval chosen "from now, no end" looks like no choice at all."""
    if request.keeps_place:
        return None, None
    start, end = request.interval
    return wall - (now - start), (wall - (now - end) if end is not None else None)


def acd_interval(row: dict, now: float, wall: float) -> tuple[float, float | None] | None:
    """The stored wall-clock interval back on the ACD's monotonic clock (None: as soon as possible)."""
    if row["wanted_from"] is None and row["wanted_until"] is None:
        return None
    start = now - (wall - row["wanted_from"]) if row["wanted_from"] is not None else now
    end = now - (wall - row["wanted_until"]) if row["wanted_until"] is not None else None
    return start, end
