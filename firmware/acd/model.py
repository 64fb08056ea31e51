"""A first ACD: queues of waiting calls, agents and their states, longest-idle distribution.

The engine tells it what happened (a call arrived, an agent answered, a call ended...) with the time,
and asks `dispatch(now)` which agent to ring for which call. It never loses a call and never gives an
agent two calls: a call leaves the queue only when it is answered, abandoned or removed, and an
agent is offered one call at a time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AgentState(str, enum.Enum):
    LOGGED_OUT = "logged-out"
    IDLE = "idle"
    RINGING = "ringing"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"   # the phone could not be reached; retried after a delay


@dataclass
class Agent:
    id: int
    queue_ids: set[int] = field(default_factory=set)
    state: AgentState = AgentState.LOGGED_OUT
    idle_since: float = 0.0
    unavailable_until: float = 0.0
    current_call: int | None = None
    calls_answered: int = 0


@dataclass
class WaitingCall:
    id: int
    queue_id: int
    arrived_at: float
    caller: str = ""
    offered_to: int | None = None   # the agent being rung, if any


@dataclass(frozen=True)
class RingAgent:
    """Action: ring this agent's phone for this call, for at most ring_timeout seconds."""
    call_id: int
    agent_id: int
    ring_timeout: float


class Acd:
    def __init__(self, ring_timeout: float = 15.0, unavailable_retry: float = 10.0):
        self.ring_timeout = ring_timeout
        self.unavailable_retry = unavailable_retry
        self.agents: dict[int, Agent] = {}
        self.waiting: dict[int, WaitingCall] = {}   # insertion order is arrival order

    # --- agents -------------------------------------------------------------------------------

    def agent(self, agent_id: int) -> Agent:
        if agent_id not in self.agents:
            self.agents[agent_id] = Agent(agent_id)
        return self.agents[agent_id]

    def login(self, agent_id: int, queue_ids: set[int] | list[int], now: float) -> None:
        agent = self.agent(agent_id)
        agent.queue_ids = set(queue_ids)
        if not agent.queue_ids:
            self.logout(agent_id, now)
        elif agent.state == AgentState.LOGGED_OUT:
            agent.state = AgentState.IDLE
            agent.idle_since = now

    def logout(self, agent_id: int, now: float) -> None:
        """Logs the agent out of every queue; a call in progress goes on, no new one is offered."""
        agent = self.agent(agent_id)
        agent.queue_ids = set()
        if agent.state in (AgentState.IDLE, AgentState.UNAVAILABLE):
            agent.state = AgentState.LOGGED_OUT

    # --- calls --------------------------------------------------------------------------------

    def call_arrived(self, call_id: int, queue_id: int, now: float, caller: str = "") -> int:
        """Queues the call; returns its position (1 = next)."""
        self.waiting[call_id] = WaitingCall(call_id, queue_id, now, caller)
        return self.position(call_id)

    def position(self, call_id: int) -> int | None:
        call = self.waiting.get(call_id)
        if call is None:
            return None
        ahead = sum(1 for c in self.waiting.values()
                    if c.queue_id == call.queue_id and (c.arrived_at, c.id) < (call.arrived_at, call.id))
        return ahead + 1

    def queue_calls(self, queue_id: int) -> list[WaitingCall]:
        return [c for c in self.waiting.values() if c.queue_id == queue_id]

    def call_left(self, call_id: int, now: float) -> None:
        """The caller hung up (or was sent elsewhere) before an agent answered."""
        call = self.waiting.pop(call_id, None)
        if call is not None and call.offered_to is not None:
            self._release(call.offered_to, now)

    def agent_answered(self, call_id: int, agent_id: int, now: float) -> None:
        call = self.waiting.pop(call_id)
        assert call.offered_to == agent_id, f"call {call_id} was offered to {call.offered_to}, not {agent_id}"
        agent = self.agents[agent_id]
        agent.state = AgentState.BUSY
        agent.current_call = call_id
        agent.calls_answered += 1

    def agent_no_answer(self, call_id: int, agent_id: int, now: float, unreachable: bool = False) -> None:
        """The agent did not take the call (timeout, busy, rejected, or the phone is not registered)."""
        call = self.waiting.get(call_id)
        if call is not None and call.offered_to == agent_id:
            call.offered_to = None
        agent = self.agents[agent_id]
        agent.current_call = None
        if unreachable:
            agent.state = AgentState.UNAVAILABLE
            agent.unavailable_until = now + self.unavailable_retry
        else:
            self._to_idle_or_out(agent, now, keep_idle_since=True)

    def call_ended(self, call_id: int, agent_id: int, now: float) -> None:
        """A bridged call ended: the agent is free again."""
        agent = self.agents[agent_id]
        if agent.current_call == call_id:
            agent.current_call = None
            self._to_idle_or_out(agent, now)

    def _release(self, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        agent.current_call = None
        self._to_idle_or_out(agent, now, keep_idle_since=True)

    def _to_idle_or_out(self, agent: Agent, now: float, keep_idle_since: bool = False) -> None:
        agent.state = AgentState.IDLE if agent.queue_ids else AgentState.LOGGED_OUT
        if not keep_idle_since:
            agent.idle_since = now

    # --- distribution -------------------------------------------------------------------------

    def dispatch(self, now: float) -> list[RingAgent]:
        """Offers waiting calls, oldest first, each to the longest-idle free agent of its queue."""
        for agent in self.agents.values():
            if agent.state == AgentState.UNAVAILABLE and now >= agent.unavailable_until:
                self._to_idle_or_out(agent, now, keep_idle_since=True)
        actions = []
        for call in sorted(self.waiting.values(), key=lambda c: (c.arrived_at, c.id)):
            if call.offered_to is not None:
                continue
            free = [a for a in self.agents.values() if a.state == AgentState.IDLE and call.queue_id in a.queue_ids]
            if not free:
                continue
            agent = min(free, key=lambda a: (a.idle_since, a.id))
            agent.state = AgentState.RINGING
            agent.current_call = call.id
            call.offered_to = agent.id
            actions.append(RingAgent(call.id, agent.id, self.ring_timeout))
        return actions
