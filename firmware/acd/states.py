"""The ACD's live objects: agents and their states, waiting calls, queues with their history."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from firmware.acd.config import AgentConfig, QueueConfig


class AgentState(str, enum.Enum):
    LOGGED_OUT = "logged-out"
    IDLE = "idle"
    RINGING = "ringing"           # reserved for one call (or one of the calls of a ring-all)
    BUSY = "busy"
    WRAP_UP = "wrap-up"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"   # phone unregistered, or unreachable and retried after a delay


@dataclass(eq=False)
class Agent:
    id: int
    queue_ids: set[int] = field(default_factory=set)
    state: AgentState = AgentState.LOGGED_OUT
    config: AgentConfig = field(default_factory=AgentConfig)
    idle_since: float = 0.0
    unavailable_until: float = 0.0
    blocked_until: float = 0.0          # no offer before this (no-answer, reject and busy delays)
    current_call: int | None = None
    current_queue: int | None = None
    calls_answered: int = 0
    talk_time: float = 0.0
    answered_at: float = 0.0
    registered: bool = True
    pause_reason: str | None = None
    paused_since: float = 0.0
    pending_pause: str | None = None    # asked while on a call: takes effect after it (and wrap-up)
    wrapup_until: float = 0.0
    unclassified_call: int | None = None   # its queue wants it classified before the wrap-up may end
    missed_in_a_row: int = 0
    standby_queues: set[int] = field(default_factory=set)
    pause_totals: dict[str, float] = field(default_factory=dict)   # seconds paused per reason code


class CallKind(str, enum.Enum):
    LIVE = "live"          # a caller on the line
    CALLBACK = "callback"  # a place held for a callback


@dataclass(eq=False)
class WaitingCall:
    id: int
    queue_id: int
    arrived_at: float                   # first arrival: fairness and callbacks keep it
    caller: str = ""
    caller_input: str = ""
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    entered_at: float = 0.0             # entry into the current queue: max wait counts from here
    seq: int = 0
    key: tuple = ()
    kind: CallKind = CallKind.LIVE
    offered_to: int | None = None       # the agent being rung (the first one with ring-all)
    ringing: set[int] = field(default_factory=set)
    ring_deadline: float = 0.0
    not_before: float = 0.0             # retry delay, callback interval
    sticky_agent: int | None = None
    next_message_at: float = float("inf")
    messages_played: int = 0
    callback_offered: bool = False
    estimate_at_arrival: float | None = None


@dataclass
class CallbackRequest:
    """One row of the callback list (ACD14)."""
    call_id: int
    queue_id: int
    number: str
    arrived_at: float
    interval: tuple[float, float | None]   # wanted from, until (None: any time after)
    caller_input: str = ""
    forced: bool = False
    status: str = "waiting"                # waiting, calling, no-answer, answered, failed, cancelled, expired
    attempts: int = 0
    last_handler: int | None = None
    log: list[str] = field(default_factory=list)
    keeps_place: bool = True               # False: the caller chose the interval, served from its start

    @property
    def last_log(self) -> str:
        return self.log[-1] if self.log else ""


@dataclass(eq=False)
class Queue:
    id: int
    config: QueueConfig = field(default_factory=QueueConfig)
    order: list = field(default_factory=list)      # sorted [(key, call_id)] of waiting calls
    members: set[int] = field(default_factory=set)  # logged-in agents
    idle: set[int] = field(default_factory=set)     # members that are IDLE
    last_offered: int | None = None                 # round robin memory
    handle_time: float = 0.0                        # moving average of talk + wrap-up
    handled: int = 0
    asterisk_holdtime: float = 0.0                  # (3 old + new) / 4 of past waits
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    active_callbacks: int = 0
    is_open: bool = True
    next_check: float = 0.0                          # schedule, alarms and stand-by are looked at once a second
    alarms: dict[str, bool] = field(default_factory=dict)
    standby_on_since: float | None = None
