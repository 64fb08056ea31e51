"""The callback list (ACD14): its rows, sorted as the list's columns ask."""

from __future__ import annotations

from firmware.acd.states import CallbackRequest

COLUMNS = {
    "arrived": lambda r: r.arrived_at,
    "interval": lambda r: r.interval[0],
    "queue": lambda r: r.queue_id,
    "caller_input": lambda r: r.caller_input,
    "last_handler": lambda r: (r.last_handler is None, r.last_handler or 0),
    "status": lambda r: r.status,
    "log": lambda r: r.last_log,
}

OPEN = ("waiting", "calling", "connecting", "no-answer")


def row(request: CallbackRequest) -> dict:
    return {
        "call_id": request.call_id, "arrived": request.arrived_at,
        "interval": list(request.interval), "queue": request.queue_id, "number": request.number,
        "caller_input": request.caller_input, "last_handler": request.last_handler,
        "status": request.status, "attempts": request.attempts, "log": request.last_log,
        "forced": request.forced,
    }


def sorted_rows(requests: list[CallbackRequest], column: str = "arrived", descending: bool = False,
                queue_id: int | None = None, open_only: bool = False) -> list[dict]:
    if column not in COLUMNS:
        raise ValueError(f"unknown callback list column {column!r}")
    chosen = [r for r in requests if (queue_id is None or r.queue_id == queue_id)
              and (not open_only or r.status in OPEN)]
    chosen.sort(key=lambda r: (COLUMNS[column](r), r.arrived_at, r.call_id), reverse=descending)
    return [row(r) for r in chosen]
