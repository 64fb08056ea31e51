"""Settings of queues, agents, pause reasons and message sets, as plain dataclasses with safe defaults."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from firmware.acd.actions import Destination
from firmware.acd.schedule import Schedule


class Strategy(str, enum.Enum):
    RING_ALL = "ring-all"
    SEQUENTIAL = "sequential"            # the queue's member order, always from the top
    ROUND_ROBIN = "round-robin"          # the member order, starting after the last agent offered
    LONGEST_IDLE = "longest-idle"
    FEWEST_CALLS = "fewest-calls"
    LEAST_TALK_TIME = "least-talk-time"
    RANDOM = "random"
    WEIGHTED_RANDOM = "weighted-random"  # by the queue's member weights
    SKILLS = "skills"                    # the best level in the call's skills, then longest idle


class Condition(str, enum.Enum):
    """When a call overflows out of its queue."""
    CLOSED = "closed"                          # by the queue's schedule
    MAX_LENGTH = "max-length"                  # threshold: calls already waiting
    MAX_WAIT = "max-wait"                      # threshold: seconds; also for callers already waiting
    NO_AGENT_LOGGED_IN = "no-agent-logged-in"
    NO_AGENT_AVAILABLE = "no-agent-available"  # nobody idle when the call arrives
    ESTIMATED_WAIT = "estimated-wait"          # threshold: seconds, the estimate at arrival
    CALLS_PER_AGENT = "calls-per-agent"        # threshold: waiting calls per logged-in agent


@dataclass(frozen=True)
class OverflowRule:
    condition: Condition
    destination: Destination
    threshold: float = 0.0


@dataclass(frozen=True)
class SkillRule:
    """After `after` seconds of waiting, a required skill is met from `min_level` on (0: by anyone)."""
    after: float
    min_level: int


@dataclass(frozen=True)
class MessageSet:
    """What a waiting caller hears; one set may serve several queues.

    first: played on entering the queue. repeated: played in turn every `frequency` seconds, each
    followed by the position and the estimated wait when those are announced.
    """
    first: str | None = "queue-first"
    repeated: tuple[str, ...] = ("queue-repeat",)
    frequency: float = 30.0
    announce_position: bool = True
    announce_wait: bool = False
    min_wait_to_announce: float = 60.0   # estimates below this are not spoken


@dataclass(frozen=True)
class CallbackPolicy:
    """Callbacks of a queue (ACD13)."""
    offer_when_wait_over: float = 120.0   # offered when the caller's estimated wait is above this
    window: Schedule | None = None       # offered only while this schedule is open
    key: str = "1"
    max_concurrent: int = 2               # callback calls at the same time in this queue
    retry_delay: float = 300.0            # after the customer did not answer
    max_attempts: int = 3
    # The caller's menu after the key (the engine's): confirm or change the number, and choose
    # between "when it is my turn" and a later hour today.
    ask_number: bool = True
    offer_later: bool = True


@dataclass(frozen=True)
class AlarmPolicy:
    """Alarm thresholds of a queue (ACD15); each clears only past its hysteresis margin."""
    min_agents: int | None = None         # few agents logged in
    agents_margin: int = 1
    sl_target: float = 20.0               # answered within this many seconds ...
    sl_goal: float | None = None          # ... for this share of the calls, e.g. 0.8
    sl_margin: float = 0.05
    max_longest_wait: float | None = None
    wait_margin: float = 0.2              # clears below (1 - margin) * max_longest_wait
    min_calls: int = 10                   # the service level is judged from this many calls on


@dataclass(frozen=True)
class StandbyPolicy:
    """Stand-by agents logged in when traffic is high, out again when it is normal (ACD11)."""
    agents: tuple[int, ...]
    on_waiting: int | None = None          # calls waiting at least
    on_longest_wait: float | None = None   # or the longest wait at least
    on_available_at_most: int | None = None  # or idle agents at most (with calls waiting)
    off_waiting: int = 0                   # out when waiting at most this ...
    off_longest_wait: float = 0.0          # ... and the longest wait at most this ...
    min_on_seconds: float = 300.0          # ... and they have been in for this long


@dataclass(frozen=True)
class QueueConfig:
    strategy: Strategy = Strategy.LONGEST_IDLE
    weight: int = 0                          # a heavier queue's callers are served first by shared agents
    member_order: tuple[int, ...] = ()       # configured order (sequential, round robin); others after
    member_weights: dict[int, float] = field(default_factory=dict)   # weighted random; default 1
    ring_timeout: float | None = None        # None: the ACD's default
    retry_delay: float = 0.0                 # a call is offered again this long after a no-answer
    wrapup: float = 0.0
    max_no_answer: int = 0                   # consecutive unanswered offers before an auto-pause; 0 = off
    auto_pause_reason: str = "no-answer"
    skill_rules: tuple[SkillRule, ...] = ()
    sticky_window: float = 0.0               # a caller calling again within this many seconds ...
    sticky_hold: float = 0.0                 # ... is kept for their last agent this long
    overflow: tuple[OverflowRule, ...] = ()
    schedule: Schedule | None = None
    messages: str | None = None              # name of a MessageSet
    callback: CallbackPolicy | None = None
    alarms: AlarmPolicy | None = None
    standby: StandbyPolicy | None = None
    handle_time: float = 180.0               # prior for the estimated wait until history exists
    disposition_required: bool = False       # the wrap-up lasts until the agent has classified the call (ACD12)


@dataclass(frozen=True)
class AgentConfig:
    skills: dict[str, int] = field(default_factory=dict)   # levels 1..10
    wrapup: float | None = None              # overrides the queue's wrap-up
    no_answer_delay: float = 0.0             # not offered a call for this long after not answering
    reject_delay: float = 0.0                # ... after rejecting
    busy_delay: float = 0.0                  # ... after a busy phone

    def __post_init__(self) -> None:
        for skill, level in self.skills.items():
            if not 1 <= level <= 10:
                raise ValueError(f"skill {skill!r} level {level} is not in 1..10")


@dataclass(frozen=True)
class PauseReason:
    code: str
    billable: bool = False
    max_duration: float | None = None        # an alarm is raised when a pause lasts longer
