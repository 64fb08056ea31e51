"""What the ACD asks its driver (the engine or the simulator) to do: one frozen dataclass per action."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Destination:
    """Where an overflowing call goes: kind is queue, number, voicemail, callback or hangup
    (play the message named by target, then hang up)."""
    kind: str
    target: str | int | None = None

    KINDS = ("queue", "number", "voicemail", "callback", "hangup")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown destination kind {self.kind!r}")


@dataclass(frozen=True)
class RingAgent:
    """Ring this agent's phone for this call, for at most ring_timeout seconds.

    With ring-all one call yields several of these; the first agent to answer gets the call and the
    others get StopRinging.
    """
    call_id: int
    agent_id: int
    ring_timeout: float
    queue_id: int | None = field(default=None, compare=False)
    caller: str = field(default="", compare=False)
    caller_input: str = field(default="", compare=False)


@dataclass(frozen=True)
class StopRinging:
    """Stop ringing this agent for this call (answered elsewhere, ring timeout, caller gone)."""
    call_id: int
    agent_id: int
    reason: str


@dataclass(frozen=True)
class Bridge:
    """Connect the caller to the agent who answered."""
    call_id: int
    agent_id: int


@dataclass(frozen=True)
class PlayMessage:
    """Play to a waiting caller: prompt names, and ints to be spoken as numbers."""
    call_id: int
    parts: tuple[str | int, ...]


@dataclass(frozen=True)
class Overflow:
    """The call leaves its queue for `destination` because `reason` (an overflow condition) held."""
    call_id: int
    queue_id: int
    reason: str
    destination: Destination
    position: int | None = field(default=None, compare=False)    # its place in the queue it left


@dataclass(frozen=True)
class OfferCallback:
    """Tell the caller they may press `key` to be called back instead of waiting."""
    call_id: int
    key: str


@dataclass(frozen=True)
class CallbackRegistered:
    """The caller's place is now held by a callback: confirm to the caller and release their line."""
    call_id: int
    number: str
    not_before: float
    forced: bool


@dataclass(frozen=True)
class PlaceCallback:
    """Ring the agent for a callback; once they answer, dial the customer's number."""
    call_id: int
    agent_id: int
    number: str
    ring_timeout: float
    queue_id: int | None = field(default=None, compare=False)
    caller_input: str = field(default="", compare=False)


@dataclass(frozen=True)
class CallFinished:
    """The ACD is done with this call: exactly one per call, with its outcome (answered, abandoned,
    overflow:<kind>, callback-answered, callback-failed, callback-cancelled)."""
    call_id: int
    outcome: str


@dataclass(frozen=True)
class RaiseAlarm:
    """An alarm condition started (few-agents, service-level-at-risk, long-wait, pause-too-long, state-repaired)."""
    name: str
    subject: str
    detail: str = ""


@dataclass(frozen=True)
class ClearAlarm:
    name: str
    subject: str


@dataclass(frozen=True)
class AgentPaused:
    """The ACD paused an agent by itself (too many unanswered calls)."""
    agent_id: int
    reason: str


@dataclass(frozen=True)
class AgentActivity:
    """An agent logged in or out, a pause began or ended (with its reason), a wrap-up began or ended,
    or the agent joined or left one queue (queue_id): the agent's time as reports count it
    (logged-in time, pause time per reason, billable pause time, after-call work) and the event log."""
    agent_id: int
    activity: str              # "login", "logout", "pause", "pause-end", "wrapup", "wrapup-end", "join", "leave"
    reason: str = ""
    queue_id: int | None = None


@dataclass(frozen=True)
class StandbyLogin:
    agent_id: int
    queue_id: int


@dataclass(frozen=True)
class StandbyLogout:
    agent_id: int
    queue_id: int


@dataclass(frozen=True)
class StateRepaired:
    """A state that could not progress was repaired; the detail says what was found."""
    subject: str
    detail: str


Action = (RingAgent | StopRinging | Bridge | PlayMessage | Overflow | OfferCallback | CallbackRegistered
          | PlaceCallback | CallFinished | RaiseAlarm | ClearAlarm | AgentPaused | AgentActivity | StandbyLogin
          | StandbyLogout | StateRepaired)
