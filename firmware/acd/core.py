"""The ACD: agents, queues and waiting calls; events come in as method calls, actions go out.

Time is always passed in (seconds, any monotonic origin; `wall_offset` turns it into Unix time for
schedules). Every event method records what happened and may queue actions; `tick(now)` runs the
timers, routes waiting calls to free agents and returns every queued action. `next_deadline()` tells
an event loop or a simulator when to call `tick` at the latest.

Invariants kept by construction and checked by the property tests: an agent is reserved for, or
talking on, at most one call; a call is in exactly one place (waiting, ringing, with an agent, or
finished with exactly one CallFinished); within one priority, calls are offered in arrival order
unless a rule (skills, sticky agent, retry delay) says otherwise.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Iterable

from firmware.acd import alarms, announcements, callbacks, overflow, standby, strategies
from firmware.acd.actions import (AgentActivity, AgentPaused, Bridge, CallbackRegistered, CallFinished, Destination,
                                  OfferCallback, Overflow, PlaceCallback, PlayMessage, RingAgent, StandbyLogin,
                                  StandbyLogout, StateRepaired, StopRinging)
from firmware.acd.config import (AgentConfig, AlarmPolicy, Condition, MessageSet, OverflowRule, PauseReason, QueueConfig,
                                 StandbyPolicy)
from firmware.acd.estimator import asterisk_estimate, asterisk_holdtime, position_aware_wait, update_handle_time
from firmware.acd.states import Agent, AgentState, CallbackRequest, CallKind, Queue, WaitingCall
from firmware.message import coded

IDLE, RINGING, BUSY = AgentState.IDLE, AgentState.RINGING, AgentState.BUSY
WRAP_UP, PAUSED, UNAVAILABLE, LOGGED_OUT = (AgentState.WRAP_UP, AgentState.PAUSED, AgentState.UNAVAILABLE,
                                            AgentState.LOGGED_OUT)
WORKING = (IDLE, RINGING, BUSY, WRAP_UP)
MAX_OVERFLOW_HOPS = 5     # queue-to-queue overflow stops here rather than loop for ever
# Where a caller goes when their queue's overflow target cannot take them: the overflow message.
TURNED_AWAY = Destination("hangup", "overflow")


class Acd:
    def __init__(self, ring_timeout: float = 15.0, unavailable_retry: float = 10.0, *, seed: int = 0,
                 check_interval: float = 1.0, sweep_interval: float = 5.0, stuck_grace: float = 10.0,
                 outbox_limit: int = 100_000):
        self.ring_timeout = ring_timeout
        self.unavailable_retry = unavailable_retry
        self.check_interval = check_interval    # schedules, alarms, stand-by
        self.sweep_interval = sweep_interval    # state reconciliation
        self.stuck_grace = stuck_grace
        self.outbox_limit = outbox_limit
        self.wall_offset = 0.0                  # now + wall_offset = Unix time
        self.rng = random.Random(seed)
        self.agents: dict[int, Agent] = {}
        self.queues: dict[int, Queue] = {}
        self.waiting: dict[int, WaitingCall] = {}   # live calls and held callback places
        self.callbacks: dict[int, CallbackRequest] = {}
        self.pause_reasons: dict[str, PauseReason] = {}
        self.message_sets: dict[str, MessageSet] = {}
        self.last_agent_of: dict[str, tuple[int, float]] = {}   # caller -> (agent, when), sticky agent
        self.alarms: dict[str, bool] = {}                       # agent alarms (pause too long)
        self.outbox: list = []
        self.dropped_actions = 0
        self._timers: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._free = 0                      # agents IDLE
        self._ringing: dict[int, float] = {}  # call -> ring deadline
        self._talking: dict[int, int] = {}    # answered call -> agent
        self._orphans: set[int] = set()       # answered calls whose queue was removed since
        self._periodic = False              # some queue has a schedule, alarms or stand-by
        self._sticky = False
        self._next_check = -math.inf
        self._next_sweep = -math.inf
        # Routing looks at every queue only when an agent or a rule may have changed; when only
        # callers arrived, just the new callers can have become servable.
        self._route_all = True
        self._dirty_queues: set[int] = set()      # queues where an agent became free
        self._arrivals: list[WaitingCall] = []

    # === configuration =========================================================================

    def queue(self, queue_id: int) -> Queue:
        queue = self.queues.get(queue_id)
        if queue is None:
            queue = self.queues[queue_id] = Queue(queue_id)
            queue.handle_time = queue.config.handle_time
        return queue

    def agent(self, agent_id: int) -> Agent:
        if agent_id not in self.agents:
            self.agents[agent_id] = Agent(agent_id)
        return self.agents[agent_id]

    def configure_queue(self, queue_id: int, config: QueueConfig, now: float) -> None:
        """Config changed: a lowered max wait also applies to the callers already waiting."""
        queue = self.queue(queue_id)
        old, queue.config = queue.config, config
        if queue.handled == 0:
            queue.handle_time = config.handle_time
        if old.weight != config.weight:
            self._rekey(queue)
        self._periodic = any(q.config.schedule or q.config.alarms or q.config.standby for q in self.queues.values())
        self._sticky = any(q.config.sticky_window > 0 for q in self.queues.values())
        self._next_check = -math.inf
        self._route_all = True
        rule = overflow.while_waiting(config.overflow, Condition.MAX_WAIT)
        for call in self._live_calls(queue):
            if rule is not None:
                self._timer(call.entered_at + rule.threshold, "max-wait", call.id)
            self._timer(now, "route", queue_id)

    def remove_queue(self, queue_id: int, now: float) -> None:
        """The queue is gone from the configuration: its agents leave it, callers still waiting hear
        the overflow message (nobody would serve them), callbacks not yet made are marked failed."""
        queue = self.queues.get(queue_id)
        if queue is None:
            return
        self._turn_away_all(queue, now)
        self._orphans.update(call_id for call_id, agent_id in self._talking.items()
                             if self.agents[agent_id].current_queue == queue_id)
        self._arrivals = [call for call in self._arrivals if call.queue_id != queue_id]
        for agent_id in list(queue.members):
            agent = self.agents[agent_id]
            agent.standby_queues.discard(queue_id)
            self.login(agent_id, agent.queue_ids - {queue_id}, now)
        for name, raised in queue.alarms.items():
            if raised:
                alarms.transition(queue.alarms, name, f"queue {queue_id}", False, "", self.outbox)
        del self.queues[queue_id]
        self._dirty_queues.discard(queue_id)
        self._route_all = True

    def _turn_away_all(self, queue: Queue, now: float) -> None:
        """Every caller waiting in a removed queue hears the overflow message; its callbacks fail."""
        for call in [self.waiting[call_id] for _, call_id in queue.order]:
            self._stop_ringing(call, now, "queue-removed")
            self._remove(call)
            if call.kind is CallKind.LIVE:
                self.outbox.append(Overflow(call.id, queue.id, "queue-removed", TURNED_AWAY))
                self.outbox.append(CallFinished(call.id, f"overflow:{TURNED_AWAY.kind}"))
            else:
                self.callbacks[call.id].log.append("its queue was removed before the callback could be made")
                self._finish_callback(call.id, "failed", "callback-failed")

    def configure_agent(self, agent_id: int, config: AgentConfig, now: float) -> None:
        self.agent(agent_id).config = config
        self._route_all = True

    def add_pause_reason(self, reason: PauseReason) -> None:
        self.pause_reasons[reason.code] = reason

    def set_pause_reasons(self, reasons: Iterable[PauseReason]) -> None:
        """The box's list replaces the one before (a pause already taken for a dropped reason goes on)."""
        self.pause_reasons = {reason.code: reason for reason in reasons}

    def add_message_set(self, name: str, messages: MessageSet) -> None:
        """A message set, shared by every queue whose config names it."""
        self.message_sets[name] = messages

    # === agents ================================================================================

    def login(self, agent_id: int, queue_ids: Iterable[int], now: float) -> None:
        """Logs the agent in to exactly these queues (empty: logs out)."""
        agent = self.agent(agent_id)
        queue_ids = set(queue_ids)
        if not queue_ids:
            self.logout(agent_id, now)
            return
        self._set_queues(agent, queue_ids, now)
        if agent.state is LOGGED_OUT:
            self._settle(agent, now)

    def logout(self, agent_id: int, now: float) -> None:
        """Logs the agent out of every queue; a call in progress goes on, no new one is offered."""
        agent = self.agent(agent_id)
        self._set_queues(agent, set(), now)
        agent.standby_queues.clear()
        if agent.state in (IDLE, UNAVAILABLE, PAUSED, WRAP_UP):
            self._end_pause(agent, now)
            agent.pending_pause = None
            agent.unclassified_call = None      # still to be classified in the call list, not in a wrap-up
            self._set_state(agent, LOGGED_OUT)

    def pause(self, agent_id: int, reason: str, now: float) -> None:
        """Pauses the agent with a reason code; on a call, the pause starts once the call (and wrap-up) ends."""
        agent = self.agent(agent_id)
        if agent.state in (IDLE, UNAVAILABLE, PAUSED):
            self._end_pause(agent, now)
            self._enter_pause(agent, reason, now)
        elif agent.state in (RINGING, BUSY, WRAP_UP):
            agent.pending_pause = reason

    def unpause(self, agent_id: int, now: float) -> None:
        agent = self.agent(agent_id)
        agent.pending_pause = None
        if agent.state is PAUSED:
            self._end_pause(agent, now)
            self._settle(agent, now)

    def phone_registered(self, agent_id: int, now: float) -> None:
        agent = self.agent(agent_id)
        agent.registered = True
        if agent.state is UNAVAILABLE and agent.unavailable_until <= now:
            self._settle(agent, now, keep_idle_since=True)

    def phone_unregistered(self, agent_id: int, now: float) -> None:
        """The agent cannot be rung any more: unavailable (after the current call, if any)."""
        agent = self.agent(agent_id)
        agent.registered = False
        if agent.state is RINGING and agent.current_call is not None:
            self.outbox.append(StopRinging(agent.current_call, agent.id, "unregistered"))
            self.agent_no_answer(agent.current_call, agent.id, now, unreachable=True)
        elif agent.state is IDLE:
            self._set_state(agent, UNAVAILABLE)

    def wrapup_ended(self, agent_id: int, now: float) -> None:
        """The wrap-up ends now (the agent ends it early, or a supervisor, also before a call the
        queue wants classified is: the engine decides who may)."""
        agent = self.agent(agent_id)
        if agent.state is WRAP_UP:
            agent.unclassified_call = None
            self._settle(agent, now)

    def call_classified(self, agent_id: int, call_id: int, now: float) -> None:
        """The agent classified their call (ACD12): a wrap-up that waited only for that ends."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.unclassified_call != call_id:
            return
        agent.unclassified_call = None
        if agent.state is WRAP_UP and agent.wrapup_until <= now:
            self._settle(agent, now)

    def wrapup_extend(self, agent_id: int, seconds: float, now: float) -> None:
        agent = self.agent(agent_id)
        if agent.state is WRAP_UP:
            agent.wrapup_until = max(agent.wrapup_until, now) + seconds
            self._timer(agent.wrapup_until, "wrap-up", agent.id)

    # === calls =================================================================================

    def call_arrived(self, call_id: int, queue_id: int, now: float, caller: str = "", *, priority: int = 0,
                     caller_input: str = "", skills: dict[str, int] | None = None) -> int | None:
        """Queues the call; returns its position (1 = next), or None if it overflowed at once."""
        if call_id in self.waiting or call_id in self._talking:
            raise ValueError(f"call {call_id} is already in the ACD")
        queue = self.queue(queue_id)
        call = WaitingCall(call_id, queue_id, now, caller, caller_input, priority, dict(skills or {}),
                           entered_at=now, seq=next(self._seq))
        if self._sticky and caller and queue.config.sticky_window > 0:
            last = self.last_agent_of.get(caller)
            if last is not None and now - last[1] <= queue.config.sticky_window:
                call.sticky_agent = last[0]
                self._timer(now + queue.config.sticky_hold, "route", queue_id)
        return self._enter(call, queue, now)

    def caller_input(self, call_id: int, text: str, now: float) -> None:
        """What the caller keyed in (a customer number...): carried to the agent and the callback list."""
        call = self.waiting.get(call_id)
        if call is not None:
            call.caller_input = text

    def is_callback_key(self, call_id: int, key: str) -> bool:
        """The caller, offered a callback, pressed the key that takes it."""
        call = self.waiting.get(call_id)
        if call is None or call.kind is not CallKind.LIVE or not call.callback_offered:
            return False
        policy = self.queue(call.queue_id).config.callback
        return policy is not None and key == policy.key

    def caller_pressed(self, call_id: int, key: str, now: float) -> None:
        """A DTMF key: the callback key once a callback was offered, else appended to the caller input."""
        call = self.waiting.get(call_id)
        if call is None or call.kind is not CallKind.LIVE:
            return
        if self.is_callback_key(call_id, key):
            self.callback_requested(call_id, now)
        elif key.isdigit():
            call.caller_input += key

    def position(self, call_id: int) -> int | None:
        call = self.waiting.get(call_id)
        if call is None:
            return None
        return bisect.bisect_left(self.queue(call.queue_id).order, (call.key, call.id)) + 1

    def queue_calls(self, queue_id: int) -> list[WaitingCall]:
        return [self.waiting[call_id] for _, call_id in self.queue(queue_id).order]

    def call_left(self, call_id: int, now: float, outcome: str = "abandoned") -> None:
        """The caller hung up (or was sent elsewhere) before an agent answered."""
        call = self.waiting.get(call_id)
        if call is None:
            return
        queue = self.queue(call.queue_id)
        self._stop_ringing(call, now, "caller-gone")
        self._remove(call)
        if call.kind is CallKind.CALLBACK:
            self._finish_callback(call_id, "cancelled", "callback-cancelled")
            return
        if outcome == "abandoned":
            queue.abandoned += 1
        self.outbox.append(CallFinished(call_id, outcome))

    def agent_answered(self, call_id: int, agent_id: int, now: float) -> None:
        agent = self.agents.get(agent_id)
        call = self.waiting.get(call_id)
        if agent is None or call is None or agent_id not in call.ringing or agent.current_call != call_id:
            self._answer_not_offered(call_id, agent_id, now)
            return
        for other in sorted(call.ringing - {agent_id}):
            self.outbox.append(StopRinging(call_id, other, "answered-elsewhere"))
            self._settle(self.agents[other], now, keep_idle_since=True)
        call.ringing.clear()
        self._remove(call)
        queue = self.queue(call.queue_id)
        self._set_state(agent, BUSY)
        agent.current_queue = queue.id
        agent.answered_at = now
        agent.calls_answered += 1
        agent.missed_in_a_row = 0
        self._talking[call_id] = agent_id
        if call.kind is CallKind.CALLBACK:
            request = self.callbacks[call_id]
            request.status, request.last_handler = "connecting", agent_id
            return
        waited = now - call.entered_at
        queue.answered += 1
        if waited <= self._sl_target(queue):
            queue.answered_in_target += 1
        queue.asterisk_holdtime = asterisk_holdtime(queue.asterisk_holdtime, waited)
        if self._sticky and call.caller:
            self.last_agent_of[call.caller] = (agent_id, now)
        self.outbox.append(Bridge(call_id, agent_id))
        self.outbox.append(CallFinished(call_id, "answered"))

    def agent_no_answer(self, call_id: int, agent_id: int, now: float, unreachable: bool = False,
                        reason: str | None = None) -> None:
        """The agent did not take the call: reason is timeout (default), rejected, busy or unreachable
        (the phone is not registered or does not respond; the agent is retried after a delay)."""
        reason = "unreachable" if unreachable else (reason or "timeout")
        call = self.waiting.get(call_id)
        if call is not None and agent_id in call.ringing:
            self._ring_ended(call, agent_id, now)
        agent = self.agents.get(agent_id)
        if agent is None or agent.state is not RINGING or agent.current_call != call_id:
            return
        queue = self.queue(agent.current_queue) if agent.current_queue is not None else None
        if reason == "unreachable":
            agent.unavailable_until = now + self.unavailable_retry
            self._timer(agent.unavailable_until, "unavailable", agent.id)
        else:
            delay = {"timeout": agent.config.no_answer_delay, "rejected": agent.config.reject_delay,
                     "busy": agent.config.busy_delay}.get(reason, 0.0)
            if delay > 0:
                agent.blocked_until = now + delay
                self._timer(agent.blocked_until, "unblock", agent.id)
            agent.missed_in_a_row += 1
            if queue is not None and 0 < queue.config.max_no_answer <= agent.missed_in_a_row:
                agent.pending_pause = queue.config.auto_pause_reason
                agent.missed_in_a_row = 0
                self.outbox.append(AgentPaused(agent.id, queue.config.auto_pause_reason))
        self._settle(agent, now, keep_idle_since=True)

    def agent_rejected(self, call_id: int, agent_id: int, now: float) -> None:
        self.agent_no_answer(call_id, agent_id, now, reason="rejected")

    def agent_busy(self, call_id: int, agent_id: int, now: float) -> None:
        self.agent_no_answer(call_id, agent_id, now, reason="busy")

    def call_ended(self, call_id: int, agent_id: int, now: float) -> None:
        """A bridged call ended: the agent goes to wrap-up (queue's or own setting) or is free again."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.current_call != call_id or agent.state is not BUSY:
            return
        self._talking.pop(call_id, None)
        queue = self._queue_of_call(agent.current_queue, call_id)
        self._orphans.discard(call_id)
        talk = max(0.0, now - agent.answered_at)
        agent.talk_time += talk
        wrapup = agent.config.wrapup if agent.config.wrapup is not None else queue.config.wrapup
        queue.handle_time = update_handle_time(queue.handle_time, queue.handled, talk + wrapup)
        queue.handled += 1
        request = self.callbacks.get(call_id)
        if request is not None and request.status == "connecting":
            self._callback_unreached(request, now)
        classify = queue.config.disposition_required
        if (wrapup > 0 or classify) and agent.queue_ids:
            agent.current_call = None
            agent.unclassified_call = call_id if classify else None
            agent.wrapup_until = now + wrapup
            self._set_state(agent, WRAP_UP)
            self._timer(agent.wrapup_until, "wrap-up", agent.id)
        else:
            self._settle(agent, now)

    # === callbacks =============================================================================

    def callback_requested(self, call_id: int, now: float, number: str | None = None,
                           interval: tuple[float, float | None] | None = None, forced: bool = False) -> None:
        """The caller leaves and a callback holds their place (or waits for the interval they chose)."""
        call = self.waiting.get(call_id)
        if call is None or call.kind is not CallKind.LIVE:
            return
        self._stop_ringing(call, now, "callback")
        self._remove(call)
        self._hold_callback(call, self.queue(call.queue_id), now, number, interval, forced)

    def callback_restored(self, call_id: int, queue_id: int, number: str, now: float, *, arrived_at: float,
                          caller_input: str = "", attempts: int = 0, forced: bool = False,
                          log: tuple[str, ...] = (), interval: tuple[float, float | None] | None = None,
                          failed: bool = False) -> None:
        """A callback the driver kept across a restart goes back on the list, in its original place
        (arrived_at on this ACD's clock, possibly before `now`), or at the interval the caller chose.
        `failed`: one that had failed comes back as failed, for a handler to requeue or call, not in line."""
        if call_id in self.callbacks or call_id in self.waiting:
            raise ValueError(f"call {call_id} is already in the ACD")
        request = CallbackRequest(call_id, queue_id, number, arrived_at, interval or (now, None), caller_input,
                                  forced, attempts=attempts, log=[*log, "restored after a restart"],
                                  keeps_place=interval is None)
        self.callbacks[call_id] = request
        if failed:
            request.status = "failed"
            return
        self._queue_callback(request, now, max(now, request.interval[0]))

    def callback_result(self, call_id: int, reached: bool, now: float, note: str = "") -> None:
        """The customer was dialled after the agent answered: reached or not (then retried or failed)."""
        request = self.callbacks.get(call_id)
        if request is None or request.status != "connecting":
            return
        if note:
            request.log.append(note)
        if reached:
            self._queue_of_call(request.queue_id, call_id).active_callbacks -= 1
            self._route_all = True
            request.attempts += 1
            request.status = "answered"
            self.outbox.append(CallFinished(call_id, "callback-answered"))
            return
        self._callback_unreached(request, now)
        agent = self.agents.get(self._talking.pop(call_id, -1))
        if agent is not None and agent.current_call == call_id:
            self._settle(agent, now)

    def callback_note(self, call_id: int, agent_id: int, text: str, now: float) -> None:
        request = self.callbacks[call_id]
        request.log.append(text)
        request.last_handler = agent_id

    def callback_requeue(self, call_id: int, now: float, not_before: float | None = None) -> None:
        """A handler puts a callback back on the list: one that failed, or one waiting for its next
        attempt after no answer, which is then tried from `not_before` (now) instead."""
        request = self.callbacks.get(call_id)
        if request is None or request.status not in ("no-answer", "failed"):
            return
        when = not_before if not_before is not None else now
        call = self.waiting.get(call_id)
        if call is not None:            # no answer: already back in line for its retry
            call.not_before = when
            self._route_all = True
            self._timer(when, "route", call.queue_id)
            return
        if request.status == "failed":
            request.attempts = 0
        request.status = "waiting"
        self._queue_callback(request, now, when)

    def callback_place_now(self, call_id: int, agent_id: int, now: float) -> None:
        """A handler clicks to call: the callback goes to this agent at once, ahead of its turn, the
        cap and its interval. Raises ValueError saying why when it cannot."""
        request = self.callbacks.get(call_id)
        if request is None or request.status not in ("waiting", "no-answer", "failed"):
            raise ValueError(f"callback {call_id} is not open to be called")
        agent = self.agents.get(agent_id)
        queue = self.queue(request.queue_id)
        if agent is None or agent.id not in queue.members:
            raise ValueError(f"agent {agent_id} is not logged in to queue {queue.id}")
        if agent.state is not IDLE:
            raise ValueError(f"agent {agent_id} is not free ({agent.state.value})")
        if call_id not in self.waiting:
            self.callback_requeue(call_id, now)
        call = self.waiting.get(call_id)
        if call is None:
            raise ValueError(f"callback {call_id} cannot be put back in line")
        if call.ringing:
            raise ValueError(f"callback {call_id} is being placed already")
        request.log.append(f"called now by agent {agent_id}")
        self._offer(call, queue, [agent], now)

    def callback_cancel(self, call_id: int, now: float) -> None:
        request = self.callbacks.get(call_id)
        if request is None or request.status not in callbacks.OPEN or request.status == "connecting":
            return
        call = self.waiting.get(call_id)
        if call is not None:
            self._stop_ringing(call, now, "cancelled")
            self._remove(call)
        self._finish_callback(call_id, "cancelled", "callback-cancelled")

    def callback_list(self, column: str = "arrived", descending: bool = False, queue_id: int | None = None,
                      open_only: bool = False) -> list[dict]:
        return callbacks.sorted_rows(list(self.callbacks.values()), column, descending, queue_id, open_only)

    # === the driver's side =====================================================================

    def dispatch(self, now: float) -> list[RingAgent]:
        """Offers waiting calls to free agents and returns the rings (other actions stay in the outbox).

        Ring timeouts are left to the caller of dispatch; `tick` enforces them itself.
        """
        start = len(self.outbox)
        self._run_timers(now)
        self._route(now)
        new = self.outbox[start:]
        del self.outbox[start:]
        self.outbox.extend(a for a in new if not isinstance(a, RingAgent))
        if len(self.outbox) > self.outbox_limit:
            self.dropped_actions += len(self.outbox) - self.outbox_limit
            del self.outbox[:len(self.outbox) - self.outbox_limit]
        return [a for a in new if isinstance(a, RingAgent)]

    def tick(self, now: float) -> list:
        """Runs the clock (ring timeouts, wrap-ups, max waits, messages, checks), routes, returns all actions."""
        if self._ringing:
            self._expire_rings(now)
        if self._timers and self._timers[0][0] <= now:
            self._run_timers(now)
        if now >= self._next_check and self._periodic:
            self._next_check = now + self.check_interval
            self._check_queues(now)
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_interval
            self.reconcile(now)
        if self._free:
            self._route(now)
        else:
            self._arrivals.clear()
            self._dirty_queues.clear()
        return self.take_actions()

    def take_actions(self) -> list:
        actions, self.outbox = self.outbox, []
        return actions

    def next_deadline(self) -> float:
        """The latest time at which `tick` must run for the timers to be on time."""
        deadline = self._timers[0][0] if self._timers else math.inf
        if self._ringing:
            deadline = min(deadline, min(self._ringing.values()))
        if self._periodic:
            deadline = min(deadline, self._next_check)
        return deadline

    def estimated_wait(self, call_id: int, now: float) -> float | None:
        call = self.waiting.get(call_id)
        if call is None:
            return None
        queue = self.queue(call.queue_id)
        index = bisect.bisect_left(queue.order, (call.key, call.id))
        ahead = sum(1 for _, other in queue.order[:index] if not self.waiting[other].ringing)
        return self._estimate(queue, ahead, now)

    def asterisk_estimated_wait(self, call_id: int, now: float) -> float | None:
        call = self.waiting.get(call_id)
        if call is None:
            return None
        return asterisk_estimate(self.queue(call.queue_id).asterisk_holdtime, now - call.entered_at)

    def reconcile(self, now: float, live_calls: Iterable[int] | None = None) -> None:
        """Repairs states that cannot progress and reports each repair (StateRepaired).

        With `live_calls` (the calls the driver really has), waiting or answered calls it lost are
        closed too.
        """
        live = set(live_calls) if live_calls is not None else None
        for agent in self.agents.values():
            self._reconcile_agent(agent, now, live)
        for call in list(self.waiting.values()):
            for agent_id in sorted(call.ringing):
                ringing = self.agents.get(agent_id)
                if ringing is None or ringing.state is not RINGING or ringing.current_call != call.id:
                    self._repair(f"call {call.id}", f"was ringing agent {agent_id}, who is not ringing it", now)
                    self._ring_ended(call, agent_id, now)
            if live is not None and call.kind is CallKind.LIVE and call.id not in live:
                self._repair(f"call {call.id}", "waiting in the ACD but gone from the driver", now)
                self.call_left(call.id, now, outcome="lost")

    # === internals: queues and calls ===========================================================

    def _enter(self, call: WaitingCall, queue: Queue, now: float, hops: int = 0) -> int | None:
        call.queue_id = queue.id
        call.entered_at = now
        call.key = (-call.priority, -queue.config.weight, call.arrived_at, call.seq)
        rule = self._arrival_rule(queue, now) if queue.config.overflow else None
        if rule is not None:
            self._divert(call, queue, rule, now, hops)
            return self.position(call.id)
        self._insert(call, queue)
        self._arrivals.append(call)
        max_wait = overflow.while_waiting(queue.config.overflow, Condition.MAX_WAIT)
        if max_wait is not None:
            self._timer(call.entered_at + max_wait.threshold, "max-wait", call.id)
        for skill_rule in queue.config.skill_rules:
            self._timer(now + skill_rule.after, "route", queue.id)
        self._first_messages(call, queue, now)
        return self.position(call.id)

    def _insert(self, call: WaitingCall, queue: Queue) -> None:
        self.waiting[call.id] = call
        bisect.insort(queue.order, (call.key, call.id))

    def _remove(self, call: WaitingCall) -> None:
        if self.waiting.pop(call.id, None) is None:
            return
        order = self.queue(call.queue_id).order
        index = bisect.bisect_left(order, (call.key, call.id))
        del order[index]
        self._ringing.pop(call.id, None)

    def _rekey(self, queue: Queue) -> None:
        for _, call_id in queue.order:
            call = self.waiting[call_id]
            call.key = (-call.priority, -queue.config.weight, call.arrived_at, call.seq)
        queue.order = sorted((self.waiting[c].key, c) for _, c in queue.order)

    def _live_calls(self, queue: Queue) -> list[WaitingCall]:
        return [c for c in (self.waiting[i] for _, i in queue.order) if c.kind is CallKind.LIVE]

    def _arrival_rule(self, queue: Queue, now: float) -> OverflowRule | None:
        conditions = {rule.condition for rule in queue.config.overflow}
        estimate = self._estimate(queue, len(queue.order), now) if Condition.ESTIMATED_WAIT in conditions else 0.0
        facts = overflow.QueueFacts(
            is_open=self._is_open(queue, now), waiting=len(self._live_calls(queue)),
            logged_in=len(queue.members), available=len(self._free_agents(queue, now)), estimated_wait=estimate)
        return overflow.at_arrival(queue.config.overflow, facts)

    def _divert(self, call: WaitingCall, queue: Queue, rule: OverflowRule, now: float, hops: int = 0) -> None:
        """Sends a call (waiting or just arrived) to the rule's destination."""
        self._stop_ringing(call, now, "overflow")
        position = self.position(call.id)
        self._remove(call)
        destination = rule.destination
        if destination.kind == "queue" and (hops >= MAX_OVERFLOW_HOPS or destination.target not in self.queues):
            # A loop of overflow rules, or a queue removed since the rule was written: the caller
            # hears the overflow message rather than wait where nobody serves.
            why = "too many overflows in a row" if hops >= MAX_OVERFLOW_HOPS else "that queue does not exist"
            self._repair(f"call {call.id}", f"overflow from queue {queue.id} to queue {destination.target}: {why}", now)
            destination = TURNED_AWAY
        self.outbox.append(Overflow(call.id, queue.id, rule.condition.value, destination, position))
        if destination.kind == "queue":
            assert isinstance(destination.target, int)  # checked above: a queue that exists
            self._enter(call, self.queues[destination.target], now, hops + 1)
        elif destination.kind == "callback":
            self._hold_callback(call, queue, now, None, None, forced=True)
        else:
            self.outbox.append(CallFinished(call.id, f"overflow:{destination.kind}"))

    def _is_open(self, queue: Queue, now: float) -> bool:
        schedule = queue.config.schedule
        return True if schedule is None else schedule.is_open(now + self.wall_offset)

    def _sl_target(self, queue: Queue) -> float:
        return queue.config.alarms.sl_target if queue.config.alarms else 20.0

    # === internals: agents =====================================================================

    def _set_state(self, agent: Agent, state: AgentState) -> None:
        old = agent.state
        if old is state:
            return
        if old is WRAP_UP:
            self.outbox.append(AgentActivity(agent.id, "wrapup-end"))
        if LOGGED_OUT in (old, state):
            self.outbox.append(AgentActivity(agent.id, "login" if old is LOGGED_OUT else "logout"))
        if state is WRAP_UP:
            self.outbox.append(AgentActivity(agent.id, "wrapup"))
        if old is IDLE:
            self._free -= 1
            for queue_id in agent.queue_ids:
                self.queues[queue_id].idle.discard(agent.id)
        agent.state = state
        if state is IDLE:
            self._dirty_queues.update(agent.queue_ids)
            self._free += 1
            for queue_id in agent.queue_ids:
                self.queue(queue_id).idle.add(agent.id)

    def _set_queues(self, agent: Agent, queue_ids: set[int], now: float) -> None:
        emptied = []
        for queue_id in sorted(agent.queue_ids - queue_ids):
            self.outbox.append(AgentActivity(agent.id, "leave", queue_id=queue_id))
        for queue_id in sorted(queue_ids - agent.queue_ids):
            self.outbox.append(AgentActivity(agent.id, "join", queue_id=queue_id))
        for queue_id in agent.queue_ids - queue_ids:
            queue = self.queues[queue_id]
            queue.members.discard(agent.id)
            queue.idle.discard(agent.id)
            if not queue.members:
                emptied.append(queue)
        for queue_id in queue_ids - agent.queue_ids:
            queue = self.queue(queue_id)
            queue.members.add(agent.id)
            if agent.state is IDLE:
                queue.idle.add(agent.id)
        agent.queue_ids = queue_ids
        self._route_all = True
        for queue in emptied:
            rule = overflow.while_waiting(queue.config.overflow, Condition.NO_AGENT_LOGGED_IN)
            if rule is not None:
                for call in self._live_calls(queue):
                    self._divert(call, queue, rule, now)

    def _settle(self, agent: Agent, now: float, keep_idle_since: bool = False) -> None:
        """The agent's resting state once an activity (ring, call, wrap-up, pause) is over."""
        agent.current_call = None
        agent.current_queue = None
        if not agent.queue_ids:
            agent.pending_pause = None
            self._set_state(agent, LOGGED_OUT)
        elif agent.pending_pause is not None:
            self._enter_pause(agent, agent.pending_pause, now)
        elif not agent.registered or agent.unavailable_until > now:
            self._set_state(agent, UNAVAILABLE)
        else:
            if not keep_idle_since or agent.state in (PAUSED, LOGGED_OUT):
                agent.idle_since = now
            self._set_state(agent, IDLE)

    def _enter_pause(self, agent: Agent, reason: str, now: float) -> None:
        agent.pending_pause = None
        agent.pause_reason = reason
        agent.paused_since = now
        self._set_state(agent, PAUSED)           # (a login first, when the agent comes in paused)
        self.outbox.append(AgentActivity(agent.id, "pause", reason))
        limit = self.pause_reasons.get(reason)
        if limit is not None and limit.max_duration is not None:
            self._timer(now + limit.max_duration, "pause", agent.id)

    def _end_pause(self, agent: Agent, now: float) -> None:
        if agent.state is not PAUSED or agent.pause_reason is None:
            return
        reason = agent.pause_reason
        agent.pause_totals[reason] = agent.pause_totals.get(reason, 0.0) + now - agent.paused_since
        agent.pause_reason = None
        self.outbox.append(AgentActivity(agent.id, "pause-end", reason))
        alarms.transition(self.alarms, f"pause-too-long:{agent.id}", f"agent {agent.id}", False, "", self.outbox)

    def billable_pause(self, agent_id: int) -> float:
        """Seconds the agent spent in pauses whose reason is billable."""
        agent = self.agent(agent_id)
        return sum(seconds for code, seconds in agent.pause_totals.items()
                   if code in self.pause_reasons and self.pause_reasons[code].billable)

    def _free_agents(self, queue: Queue, now: float, call: WaitingCall | None = None) -> list[Agent]:
        """Idle members that may be offered `call` now (skills, sticky agent, delays)."""
        ids: Iterable[int] = queue.idle
        if call is not None and call.sticky_agent is not None and call.sticky_agent in queue.members \
                and now - call.entered_at < queue.config.sticky_hold:
            ids = (call.sticky_agent,) if call.sticky_agent in queue.idle else ()
        agents = self.agents
        free = [agents[i] for i in ids if agents[i].blocked_until <= now]
        if call is not None and call.skills and free:
            needed = strategies.needed_levels(call, now - call.entered_at, queue.config.skill_rules)
            free = [a for a in free if strategies.has_levels(a, needed)]
        return free

    # === internals: routing ====================================================================

    def _route(self, now: float) -> None:
        """Offers calls to free agents: across queues, the best call (priority, queue weight, arrival)
        first, each to the agent its queue's strategy picks."""
        if self._route_all:
            queues = list(self.queues.values())
        elif self._dirty_queues:
            queues = [self.queues[q] for q in self._dirty_queues.union(c.queue_id for c in self._arrivals)]
        else:
            self._route_arrivals(now)
            return
        self._route_all = False
        self._dirty_queues.clear()
        self._arrivals.clear()
        # Each queue's best servable call; after an offer only the queues of the agents taken change.
        # Queues left out had nothing servable after the last routing and nothing changed for them.
        candidates = {queue.id: self._first_servable(queue, now) for queue in queues if queue.order and queue.idle}
        while self._free:
            best = None
            for found in candidates.values():
                if found is not None and (best is None or found[0].key < best[0].key):
                    best = found
            if best is None:
                return
            call, free, queue = best
            chosen = strategies.choose(queue, free, call, self.rng)
            self._offer(call, queue, chosen, now)
            touched = {queue.id}.union(*(agent.queue_ids for agent in chosen))
            for queue_id in touched:
                if queue_id in candidates:
                    other = self.queues[queue_id]
                    candidates[queue_id] = self._first_servable(other, now) if other.order and other.idle else None

    def _route_arrivals(self, now: float) -> None:
        """Nothing changed but new callers: each is served if a free agent may take it."""
        arrivals, self._arrivals = self._arrivals, []
        if len(arrivals) > 1:
            arrivals.sort(key=lambda c: c.key)
        for call in arrivals:
            if not self._free:
                return
            queue = self.queues[call.queue_id]
            if self.waiting.get(call.id) is not call or call.ringing or not queue.idle or call.not_before > now:
                continue
            free = self._free_agents(queue, now, call)
            if free:
                self._offer(call, queue, strategies.choose(queue, free, call, self.rng), now)

    def _first_servable(self, queue: Queue, now: float):
        waiting = self.waiting
        for _, call_id in queue.order:
            call = waiting[call_id]
            if call.ringing or call.not_before > now:
                continue
            if call.kind is CallKind.CALLBACK and not self._may_place_callback(queue, now):
                continue
            free = self._free_agents(queue, now, call)
            if free:
                return call, free, queue
        return None

    def _offer(self, call: WaitingCall, queue: Queue, agents: list[Agent], now: float) -> None:
        timeout = queue.config.ring_timeout or self.ring_timeout
        for agent in agents:
            self._set_state(agent, RINGING)
            agent.current_call = call.id
            agent.current_queue = queue.id
            call.ringing.add(agent.id)
        call.offered_to = agents[0].id
        call.ring_deadline = now + timeout
        self._ringing[call.id] = call.ring_deadline
        queue.last_offered = agents[0].id
        if call.kind is CallKind.CALLBACK:
            request = self.callbacks[call.id]
            request.status, request.last_handler = "calling", agents[0].id
            queue.active_callbacks += 1
            self.outbox.append(PlaceCallback(call.id, agents[0].id, request.number, timeout, queue.id,
                                             call.caller_input))
            return
        for agent in agents:
            self.outbox.append(RingAgent(call.id, agent.id, timeout, queue.id, call.caller, call.caller_input))

    def _ring_ended(self, call: WaitingCall, agent_id: int, now: float) -> None:
        """One agent's ring for a call is over without an answer."""
        call.ringing.discard(agent_id)
        if call.offered_to == agent_id:
            call.offered_to = min(call.ringing) if call.ringing else None
        if call.ringing:
            return
        self._ringing.pop(call.id, None)
        self._route_all = True
        queue = self.queue(call.queue_id)
        if call.kind is CallKind.CALLBACK:
            queue.active_callbacks -= 1
            request = self.callbacks[call.id]
            request.status = "waiting"
            if request.interval[1] is not None and request.interval[1] <= now:
                self._timer(now, "callback-window", call.id)     # settled outside of this ring's loop
        if queue.config.retry_delay > 0:
            call.not_before = now + queue.config.retry_delay
            self._timer(call.not_before, "route", queue.id)

    def _stop_ringing(self, call: WaitingCall, now: float, reason: str) -> None:
        for agent_id in sorted(call.ringing):
            self.outbox.append(StopRinging(call.id, agent_id, reason))
            agent = self.agents[agent_id]
            if agent.current_call == call.id and agent.state is RINGING:
                self._settle(agent, now, keep_idle_since=True)
            self._ring_ended(call, agent_id, now)

    def _expire_rings(self, now: float) -> None:
        for call_id, deadline in list(self._ringing.items()):
            if deadline > now:
                continue
            call = self.waiting[call_id]
            for agent_id in sorted(call.ringing):
                self.outbox.append(StopRinging(call_id, agent_id, "timeout"))
                self.agent_no_answer(call_id, agent_id, now, reason="timeout")

    def _answer_not_offered(self, call_id: int, agent_id: int, now: float) -> None:
        """An answer the ACD did not expect (a race with a timeout, or a stale leg): the agent is
        told to stop, the call stays where it is, and the repair is reported."""
        self.outbox.append(StopRinging(call_id, agent_id, "not-offered"))
        self._repair(f"agent {agent_id}", f"answered call {call_id}, which was not offered to it", now)
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state is RINGING and agent.current_call == call_id:
            self._settle(agent, now, keep_idle_since=True)

    def _repair(self, subject: str, detail: str, now: float) -> None:
        self.outbox.append(StateRepaired(subject, detail))

    def _reconcile_agent(self, agent: Agent, now: float, live: set[int] | None) -> None:
        state, call_id = agent.state, agent.current_call
        if state is RINGING:
            call = self.waiting.get(call_id) if call_id is not None else None
            if call is None or agent.id not in call.ringing:
                self._repair(f"agent {agent.id}", f"ringing for call {call_id}, which is not ringing it", now)
                self._settle(agent, now, keep_idle_since=True)
        elif state is BUSY:
            if call_id is None or self._talking.get(call_id) != agent.id or (live is not None and call_id not in live):
                self._repair(f"agent {agent.id}", f"busy on call {call_id}, which is gone", now)
                if call_id is not None:
                    self._talking.pop(call_id, None)
                self._settle(agent, now)
        elif state is WRAP_UP and now > agent.wrapup_until + self.stuck_grace and agent.unclassified_call is None:
            self._repair(f"agent {agent.id}", "wrap-up past its end", now)
            self._settle(agent, now)
        elif call_id is not None:
            self._repair(f"agent {agent.id}", f"{state.value} but holding call {call_id}", now)
            agent.current_call = None

    # === internals: timers =====================================================================

    def _timer(self, when: float, kind: str, subject: int) -> None:
        heapq.heappush(self._timers, (when, next(self._seq), kind, subject))

    def _run_timers(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            when, _, kind, subject = heapq.heappop(timers)
            if kind == "route":        # a wait-based rule may now let a call of this queue through
                if subject in self.queues:
                    self._dirty_queues.add(subject)
                continue
            handler = getattr(self, "_on_" + kind.replace("-", "_"))
            handler(subject, now)

    def _on_unblock(self, agent_id: int, now: float) -> None:
        self._dirty_queues.update(self.agents[agent_id].queue_ids)

    def _on_unavailable(self, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        if agent.state is UNAVAILABLE and agent.registered and agent.unavailable_until <= now:
            self._settle(agent, now, keep_idle_since=True)

    def _on_wrap_up(self, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        if agent.state is WRAP_UP and agent.wrapup_until <= now and agent.unclassified_call is None:
            self._settle(agent, now)

    def _on_callback_window(self, call_id: int, now: float) -> None:
        """The interval the caller wanted is over: a callback not yet placed is not placed any more
        (one being placed right now is settled when its agent's ring ends)."""
        call, request = self.waiting.get(call_id), self.callbacks.get(call_id)
        if call is None or request is None or call.kind is not CallKind.CALLBACK or call.ringing:
            return
        if request.interval[1] is None or request.interval[1] > now:
            return
        self._remove(call)
        request.log.append("the wanted interval ended before the callback could be made")
        self._finish_callback(call_id, "expired", "callback-expired")

    def _on_max_wait(self, call_id: int, now: float) -> None:
        call = self.waiting.get(call_id)
        if call is None or call.kind is not CallKind.LIVE:
            return
        queue = self.queue(call.queue_id)
        rule = overflow.while_waiting(queue.config.overflow, Condition.MAX_WAIT)
        if rule is not None and now - call.entered_at >= rule.threshold:
            self._divert(call, queue, rule, now)

    def _on_pause(self, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        limit = self.pause_reasons.get(agent.pause_reason or "")
        if agent.state is PAUSED and limit is not None and limit.max_duration is not None \
                and now - agent.paused_since >= limit.max_duration:
            alarms.transition(self.alarms, f"pause-too-long:{agent.id}", f"agent {agent.id}", True,
                              coded(alarms.DETAILS, "pause-too-long",
                                    reason=agent.pause_reason, seconds=round(now - agent.paused_since)),
                              self.outbox)

    def _on_message(self, call_id: int, now: float) -> None:
        call = self.waiting.get(call_id)
        if call is None or call.kind is not CallKind.LIVE or call.next_message_at > now:
            return
        queue = self.queue(call.queue_id)
        messages = self.message_sets.get(queue.config.messages or "")
        if messages is None:
            return
        call.next_message_at = max(call.next_message_at + messages.frequency, now)
        self._timer(call.next_message_at, "message", call.id)
        if call.ringing:
            return
        estimate = self.estimated_wait(call.id, now)
        parts = announcements.repeated_message(messages, call.messages_played, self.position(call.id), estimate)
        call.messages_played += 1
        if parts:
            self.outbox.append(PlayMessage(call.id, parts))
        self._maybe_offer_callback(call, queue, estimate, now)

    # === internals: announcements, estimates, callbacks ========================================

    def _first_messages(self, call: WaitingCall, queue: Queue, now: float) -> None:
        messages = self.message_sets.get(queue.config.messages or "")
        if messages is not None:
            first = announcements.first_message(messages)
            if first:
                self.outbox.append(PlayMessage(call.id, first))
            call.next_message_at = now + messages.frequency
            self._timer(call.next_message_at, "message", call.id)
        if queue.config.callback is not None:
            self._maybe_offer_callback(call, queue, self.estimated_wait(call.id, now), now)

    def _estimate(self, queue: Queue, ahead: int, now: float) -> float:
        """Position-aware estimate for a caller with `ahead` callers in front; an agent who also
        serves other queues with callers waiting counts for a share of their time."""
        free = len(self._free_agents(queue, now))
        serving = 0.0
        for agent_id in queue.members:
            agent = self.agents[agent_id]
            if agent.state in WORKING:
                shared = sum(1 for q in agent.queue_ids if self.queues[q].order) if len(agent.queue_ids) > 1 else 1
                serving += 1.0 / shared if shared > 1 else 1.0
        return position_aware_wait(ahead, free, serving, queue.handle_time)

    def _maybe_offer_callback(self, call: WaitingCall, queue: Queue, estimate: float | None, now: float) -> None:
        policy = queue.config.callback
        if policy is None or call.callback_offered or estimate is None or estimate <= policy.offer_when_wait_over:
            return
        if policy.window is not None and not policy.window.is_open(now + self.wall_offset):
            return
        call.callback_offered = True
        self.outbox.append(OfferCallback(call.id, policy.key))

    def _may_place_callback(self, queue: Queue, now: float) -> bool:
        policy = queue.config.callback
        cap = policy.max_concurrent if policy is not None else 1
        return queue.active_callbacks < cap and self._is_open(queue, now)

    def _hold_callback(self, call: WaitingCall, queue: Queue, now: float, number: str | None,
                       interval: tuple[float, float | None] | None, forced: bool) -> None:
        number = number or call.caller
        request = CallbackRequest(call.id, queue.id, number, call.arrived_at, interval or (now, None),
                                  call.caller_input, forced, keeps_place=interval is None)
        request.log.append("forced by overflow" if forced else "requested by the caller")
        self.callbacks[call.id] = request
        self.outbox.append(CallbackRegistered(call.id, number, request.interval[0], forced))
        self._queue_callback(request, now, request.interval[0],
                             priority=call.priority, skills=call.skills)

    def _queue_callback(self, request: CallbackRequest, now: float, not_before: float, priority: int = 0,
                        skills: dict[str, int] | None = None) -> None:
        """A callback takes its place among live callers: by original arrival (its place kept), or by
        the start of the interval the caller chose."""
        queue = self.queue(request.queue_id)
        arrived = request.arrived_at if request.keeps_place else max(request.arrived_at, not_before)
        call = WaitingCall(request.call_id, queue.id, arrived, request.number, request.caller_input, priority,
                           dict(skills or {}), entered_at=now, seq=next(self._seq), kind=CallKind.CALLBACK,
                           not_before=not_before)
        call.key = (-priority, -queue.config.weight, arrived, call.seq)
        self._insert(call, queue)
        self._route_all = True
        self._timer(not_before, "route", queue.id)
        if request.interval[1] is not None:
            self._timer(max(request.interval[1], now), "callback-window", request.call_id)

    def _queue_of_call(self, queue_id: int | None, call_id: int) -> Queue:
        """The queue an answered call came from; a detached one if that queue was removed meanwhile:
        the call goes on, its end counts nowhere."""
        if call_id in self._orphans or queue_id is None or queue_id not in self.queues:
            return Queue(-1 if queue_id is None else queue_id)
        return self.queues[queue_id]

    def _callback_unreached(self, request: CallbackRequest, now: float) -> None:
        if request.call_id in self._orphans:        # nobody can try again: the queue is gone
            self._orphans.discard(request.call_id)
            request.log.append("not reached, and its queue was removed")
            self._finish_callback(request.call_id, "failed", "callback-failed")
            return
        queue = self.queue(request.queue_id)
        queue.active_callbacks -= 1
        self._route_all = True
        request.attempts += 1
        policy = queue.config.callback
        max_attempts = policy.max_attempts if policy is not None else 1
        if request.attempts < max_attempts:
            request.status = "no-answer"
            request.log.append(f"no answer (attempt {request.attempts})")
            retry = policy.retry_delay if policy is not None else 0.0
            self._queue_callback(request, now, now + retry)
        else:
            request.status = "failed"
            request.log.append(f"no answer after {request.attempts} attempts")
            self.outbox.append(CallFinished(request.call_id, "callback-failed"))

    def _finish_callback(self, call_id: int, status: str, outcome: str) -> None:
        request = self.callbacks.get(call_id)
        if request is not None:
            request.status = status
        self.outbox.append(CallFinished(call_id, outcome))

    # === internals: once-a-second checks (schedules, alarms, stand-by) =========================

    def _check_queues(self, now: float) -> None:
        self._route_all = True       # a queue may have opened: its callbacks can be placed
        for queue in list(self.queues.values()):
            config = queue.config
            if config.schedule is not None:
                self._check_schedule(queue, now)
            if config.alarms is not None or config.standby is not None:
                live = self._live_calls(queue)
                longest = max((now - c.entered_at for c in live), default=0.0)
                if config.alarms is not None:
                    self._check_alarms(queue, config.alarms, live, longest, now)
                if config.standby is not None:
                    self._check_standby(queue, config.standby, len(live), longest, now)

    def _check_schedule(self, queue: Queue, now: float) -> None:
        queue.is_open = self._is_open(queue, now)
        rule = overflow.while_waiting(queue.config.overflow, Condition.CLOSED)
        if not queue.is_open and rule is not None:
            for call in self._live_calls(queue):
                self._divert(call, queue, rule, now)

    def _check_alarms(self, queue: Queue, policy: AlarmPolicy, live: list[WaitingCall], longest: float,
                      now: float) -> None:
        states, subject = queue.alarms, f"queue {queue.id}"
        if policy.min_agents is not None:
            agents = len(queue.members)
            active = alarms.hysteresis(states.get("few-agents", False), agents < policy.min_agents,
                                       agents >= policy.min_agents + policy.agents_margin)
            alarms.transition(states, "few-agents", subject, active,
                              coded(alarms.DETAILS, "few-agents", agents=agents), self.outbox)
        if policy.max_longest_wait is not None:
            active = alarms.hysteresis(states.get("long-wait", False), longest > policy.max_longest_wait,
                                       longest < policy.max_longest_wait * (1 - policy.wait_margin))
            alarms.transition(states, "long-wait", subject, active,
                              coded(alarms.DETAILS, "long-wait", seconds=round(longest)), self.outbox)
        if policy.sl_goal is not None:
            predicted, calls = self._predicted_service_level(queue, policy.sl_target, now)
            if calls >= policy.min_calls:
                active = alarms.hysteresis(states.get("service-level-at-risk", False), predicted < policy.sl_goal,
                                           predicted >= policy.sl_goal + policy.sl_margin)
                alarms.transition(states, "service-level-at-risk", subject, active,
                                  coded(alarms.DETAILS, "service-level-at-risk", level=predicted), self.outbox)

    def _predicted_service_level(self, queue: Queue, target: float, now: float) -> tuple[float, int]:
        """The service level the queue is heading for: calls done so far plus the waiting callers,
        each counted as answered in time if its wait so far plus its estimate stays within target."""
        in_target, ahead = queue.answered_in_target, 0
        for _, call_id in queue.order:
            call = self.waiting[call_id]
            if call.kind is not CallKind.LIVE:
                continue
            estimate = 0.0 if call.ringing else self._estimate(queue, ahead, now)
            if now - call.entered_at + estimate <= target:
                in_target += 1
            if not call.ringing:
                ahead += 1
        calls = queue.answered + queue.abandoned + len(self._live_calls(queue))
        return (in_target / calls if calls else 1.0), calls

    def _check_standby(self, queue: Queue, policy: StandbyPolicy, waiting: int, longest: float, now: float) -> None:
        available = len(self._free_agents(queue, now))
        want = standby.wanted(policy, queue.standby_on_since, now, waiting, longest, available)
        if want and queue.standby_on_since is None:
            queue.standby_on_since = now
            for agent_id in policy.agents:
                agent = self.agent(agent_id)
                if queue.id not in agent.queue_ids:
                    agent.standby_queues.add(queue.id)
                    self.login(agent_id, agent.queue_ids | {queue.id}, now)
                    self.outbox.append(StandbyLogin(agent_id, queue.id))
        elif not want and queue.standby_on_since is not None:
            queue.standby_on_since = None
            for agent_id in policy.agents:
                agent = self.agent(agent_id)
                if queue.id in agent.standby_queues:
                    agent.standby_queues.discard(queue.id)
                    self.login(agent_id, agent.queue_ids - {queue.id}, now)
                    self.outbox.append(StandbyLogout(agent_id, queue.id))
