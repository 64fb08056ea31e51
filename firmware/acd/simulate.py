"""Discrete-event simulation of a call center driven through the real ACD (`firmware.acd.Acd`).

Calls arrive as a Poisson process (the rate may change by interval), agents answer the calls the ACD
rings them for, talk for an exponential or log-normal handle time, wrap up as configured, and callers
with limited patience hang up while waiting. Everything routing-related is decided by the ACD itself:
the simulator only plays the world around it.
"""

from __future__ import annotations

import heapq
import math
import random
from typing import Any
from dataclasses import dataclass, field

from firmware.acd.actions import Bridge, CallFinished, PlaceCallback, RingAgent
from firmware.acd.config import AgentConfig, QueueConfig, Strategy
from firmware.acd.core import Acd
from firmware.acd.states import CallKind
from firmware.stats.controls import Control, Estimate, controlled_mean, mg1_mean_wait, poisson_excess, poisson_tail

KPIS = ("service_level", "asa_seconds", "p_wait")
# each KPI and the companions' figures that control it (fast_in_target only where its mean is known)
KPI_CONTROLS = {"asa_seconds": ("fast_wait", "excess"), "p_wait": ("fast_waited", "all_busy"),
                "service_level": ("fast_in_target", "all_busy")}


@dataclass
class SimQueue:
    id: int
    share: float = 1.0                           # of the arrivals
    config: QueueConfig = field(default_factory=QueueConfig)
    skills: dict[str, int] = field(default_factory=dict)   # what its calls require


@dataclass
class SimAgent:
    id: int
    queues: tuple[int, ...]
    config: AgentConfig = field(default_factory=AgentConfig)


@dataclass
class Scenario:
    """What to simulate. `arrival_rate` is calls per hour, or a list of (seconds, calls per hour)
    intervals played in turn (the last one lasts until the calls are all in)."""
    arrival_rate: float | list[tuple[float, float]]
    aht: float
    agents: int | list[SimAgent]
    calls: int
    sl_target: float = 20.0
    seed: int = 1
    patience: float | None = None                 # mean, exponential; None: callers never hang up
    handle: str = "exponential"                   # or "lognormal"
    handle_cv: float = 1.0                        # coefficient of variation of the log-normal
    strategy: Strategy = Strategy.LONGEST_IDLE
    queues: list[SimQueue] | None = None
    wrapup: float = 0.0
    agent_changes: list[tuple[float, int, tuple[int, ...]]] = field(default_factory=list)  # (time, agent, queues)
    warmup_calls: int = 0                         # left out of the figures
    record_estimates: bool = False


@dataclass
class Result:
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_in_target: int = 0
    waited: int = 0
    total_wait: float = 0.0
    busy_time: float = 0.0
    staffed_time: float = 0.0
    duration: float = 0.0
    sl_target: float = 20.0
    estimate_errors: list[tuple[float, float]] = field(default_factory=list)   # (ours, asterisk) - actual
    waits: dict[int, float] = field(default_factory=dict)   # counted call -> wait (answered calls only)
    call_numbers: list[int] = field(default_factory=list)   # counted calls in arrival order
    # counted call -> what the companion systems saw at its arrival (Companions.arrive)
    companion_seen: dict[int, tuple[float, int]] = field(default_factory=dict)
    control_means: dict[str, float] = field(default_factory=dict)   # exact; empty: no steady state
    servers: int = 0                                                # agents, for the companions' figures

    @property
    def service_level(self) -> float:
        return self.answered_in_target / self.calls if self.calls else 1.0

    @property
    def asa_seconds(self) -> float:
        return self.total_wait / self.answered if self.answered else 0.0

    @property
    def p_wait(self) -> float:
        return self.waited / self.calls if self.calls else 0.0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.calls if self.calls else 0.0

    @property
    def occupancy(self) -> float:
        return self.busy_time / self.staffed_time if self.staffed_time else 0.0

    def _figures(self, waits: list[float], calls: int) -> dict[str, float]:
        """The KPIs of `calls` calls of which those answered waited `waits`."""
        return {"service_level": sum(1 for w in waits if w <= self.sl_target) / calls,
                "asa_seconds": sum(waits) / len(waits) if waits else 0.0,
                "p_wait": 1.0 - sum(1 for w in waits if w <= 0.0) / calls}

    def _control_figures(self, seen: list[tuple[float, int]]) -> dict[str, float]:
        """The companions' figures over calls that saw `seen` (see CONTROL_MEANS for their exact means)."""
        n, servers, target = len(seen), self.servers, self.sl_target
        return {"fast_wait": sum(w for w, _ in seen) / n,
                "fast_waited": sum(1 for w, _ in seen if w > 0.0) / n,
                "fast_in_target": sum(1 for w, _ in seen if w <= target) / n,
                "excess": sum(max(0, k - servers + 1) for _, k in seen) / n,
                "all_busy": sum(1 for _, k in seen if k >= servers) / n}

    def _batches(self, batches: int) -> tuple[list[dict[str, float]], list[dict[str, float]]] | None:
        """The KPIs over consecutive batches of calls, and the companions' figures over the same calls."""
        size = len(self.call_numbers) // batches
        if size == 0:
            return None
        real, companions = [], []
        for b in range(batches):
            chunk = self.call_numbers[b * size:(b + 1) * size]
            real.append(self._figures([self.waits[c] for c in chunk if c in self.waits], size))
            if self.control_means:
                companions.append(self._control_figures([self.companion_seen[c] for c in chunk]))
        return real, companions

    def standard_errors(self, batches: int = 20) -> dict[str, float]:
        """Standard errors of service level, ASA and p_wait by batch means over consecutive calls
        (waits of neighbouring calls are correlated, so a plain sample variance would be too small)."""
        split = self._batches(batches)
        if split is None:
            return {name: math.inf for name in KPIS}
        errors = {}
        for name in KPIS:
            values = [figures[name] for figures in split[0]]
            mean = sum(values) / batches
            variance = sum((v - mean) ** 2 for v in values) / (batches - 1)
            errors[name] = math.sqrt(variance / batches)
        return errors

    def steady_state(self, batches: int = 20) -> dict[str, Estimate] | None:
        """Long-run service level, ASA and p_wait, each corrected by the companions' luck on the same
        draws (firmware.stats.controls); None where the scenario has no steady state to estimate."""
        split = self._batches(batches)
        if not self.control_means or split is None:
            return None
        real, companions = split
        overall = self._control_figures([self.companion_seen[c] for c in self.call_numbers])
        estimates = {}
        for kpi, names in KPI_CONTROLS.items():
            controls = [Control(overall[name], [f[name] for f in companions], self.control_means[name])
                        for name in names if name in self.control_means]
            estimates[kpi] = controlled_mean(getattr(self, kpi), [f[kpi] for f in real], controls)
        return estimates

    def mean_absolute_errors(self) -> tuple[float, float]:
        """Mean absolute error of the position-aware estimate and of Asterisk's, over answered calls."""
        if not self.estimate_errors:
            return 0.0, 0.0
        n = len(self.estimate_errors)
        return (sum(abs(a) for a, _ in self.estimate_errors) / n, sum(abs(b) for _, b in self.estimate_errors) / n)

    def as_dict(self) -> dict:
        figures: dict[str, Any] = {
            "calls": self.calls, "answered": self.answered, "abandoned": self.abandoned,
            "overflowed": self.overflowed, "service_level": self.service_level, "sl_target_seconds": self.sl_target,
            "asa_seconds": self.asa_seconds, "p_wait": self.p_wait, "abandon_rate": self.abandon_rate,
            "occupancy": self.occupancy, "simulated_seconds": self.duration,
        }
        if self.estimate_errors:
            ours, asterisk = self.mean_absolute_errors()
            figures.update(estimate_mae_seconds=ours, asterisk_mae_seconds=asterisk)
        steady = self.steady_state()
        if steady is not None:
            figures["steady_state"] = {name: {"value": e.value, "standard_error": e.standard_error}
                                       for name, e in steady.items()}
        return figures


class Companions:
    """Two systems fed the very same arrivals and work (handle plus wrap-up) as the real queue, whose
    means are known exactly; they are the controls of `Result.steady_state`:

    - one server as fast as all N agents together, serving every call (nobody gives up) in arrival
      order: Lindley, wait(n) = max(0, wait(n-1) + work(n-1) - gap(n)); M/G/1 by Pollaczek-Khinchine.
      It runs heavy exactly when the real queue does near saturation.
    - as many servers as callers: how many are busy when a call arrives, Poisson by M/G/infinity.
      It tells, at lower loads, how often N agents were all busy by the luck of the draws.
    """

    def __init__(self, servers: int, wrapup: float):
        self.servers = servers
        self.wrapup = wrapup
        self.wait = 0.0
        self.work = 0.0
        self.last_arrival: float | None = None
        self.ends: list[float] = []           # when each busy server of the second system is free

    def arrive(self, t: float, handle: float) -> tuple[float, int]:
        """The fast server's wait for this call, and how many of the unlimited servers are busy."""
        if self.last_arrival is not None:
            self.wait = max(0.0, self.wait + self.work - (t - self.last_arrival))
        self.last_arrival = t
        work = handle + self.wrapup
        self.work = work / self.servers
        ends = self.ends
        while ends and ends[0] <= t:
            heapq.heappop(ends)
        busy = len(ends)
        heapq.heappush(ends, t + work)
        return self.wait, busy


class Simulation:
    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.rng = random.Random(scenario.seed)
        # the ACD's own clock checks are not needed: nothing in a simulation gets stuck
        self.acd = Acd(seed=scenario.seed, sweep_interval=math.inf)
        self.result = Result(sl_target=scenario.sl_target)
        self.events: list = []
        self.seq = 0
        self.arrived_at: dict[int, float] = {}
        self.counted: set[int] = set()
        self.queue_ids: list[int] = []
        self.queue_weights: list[float] = []
        self.queue_skills: dict[int, dict[str, int]] = {}
        self.logged_in = 0
        self.last_staff_change = 0.0
        self.estimates: dict[int, tuple[float, float]] = {}
        self.handles: dict[int, float] = {}       # drawn at arrival, so the companion server gets the same work
        self.companions: Companions | None = None
        self._setup()

    # --- set-up ---------------------------------------------------------------------------------

    def _setup(self) -> None:
        s = self.s
        queues = s.queues or [SimQueue(1, 1.0, QueueConfig(strategy=s.strategy, wrapup=s.wrapup, handle_time=s.aht))]
        for queue in queues:
            self.acd.configure_queue(queue.id, queue.config, 0.0)
            self.queue_ids.append(queue.id)
            self.queue_weights.append(queue.share)
            self.queue_skills[queue.id] = queue.skills
        agents = s.agents if isinstance(s.agents, list) else [
            SimAgent(i, tuple(self.queue_ids)) for i in range(1, s.agents + 1)]
        for agent in agents:
            self.acd.configure_agent(agent.id, agent.config, 0.0)
            self.acd.login(agent.id, agent.queues, 0.0)
        self.logged_in = sum(1 for a in agents if a.queues)
        for when, agent_id, queue_ids in s.agent_changes:
            self._push(when, "agent", (agent_id, tuple(queue_ids)))
        self.acd.take_actions()
        self._setup_companion()

    def _setup_companion(self) -> None:
        """Only a steady state has a long-run figure to estimate: one arrival rate, a fixed staff."""
        s = self.s
        if isinstance(s.arrival_rate, list) or s.agent_changes or not self.logged_in:
            return
        n, rate = self.logged_in, s.arrival_rate / 3600.0
        mean_work = (s.aht + s.wrapup) / n
        load = rate * mean_work
        if load >= 1.0:
            return
        handle_second_moment = s.aht ** 2 * (2.0 if s.handle == "exponential" else 1.0 + s.handle_cv ** 2)
        work_second_moment = (handle_second_moment + 2.0 * s.aht * s.wrapup + s.wrapup ** 2) / n ** 2
        means = {"fast_wait": mg1_mean_wait(rate, mean_work, work_second_moment),
                 "fast_waited": load,             # M/G/1: an arrival waits with probability = load
                 "excess": poisson_excess(load * n, n - 1), "all_busy": poisson_tail(load * n, n)}
        if s.handle == "exponential" and s.wrapup == 0:   # M/M/1: the whole wait distribution is known
            means["fast_in_target"] = 1.0 - load * math.exp(-(1.0 / mean_work - rate) * s.sl_target)
        self.companions = Companions(n, s.wrapup)
        self.result.control_means = means
        self.result.servers = n

    def _push(self, when: float, kind: str, data) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, data))

    # --- random world ---------------------------------------------------------------------------

    def _rate_at(self, t: float) -> tuple[float, float]:
        """Calls per second at t, and when that rate ends."""
        rate = self.s.arrival_rate
        if not isinstance(rate, list):
            return rate / 3600.0, math.inf
        start = 0.0
        for length, per_hour in rate:
            if t < start + length:
                return per_hour / 3600.0, start + length
            start += length
        return rate[-1][1] / 3600.0, math.inf

    def _next_arrival(self, t: float) -> float:
        while True:
            rate, until = self._rate_at(t)
            gap = self.rng.expovariate(rate) if rate > 0 else math.inf
            if t + gap < until:
                return t + gap
            t = until       # memoryless: start again at the change of rate

    def _handle_time(self) -> float:
        aht = self.s.aht
        if self.s.handle == "lognormal":
            sigma2 = math.log(1.0 + self.s.handle_cv ** 2)
            return self.rng.lognormvariate(math.log(aht) - sigma2 / 2.0, math.sqrt(sigma2))
        return self.rng.expovariate(1.0 / aht)

    def _pick_queue(self) -> int:
        if len(self.queue_ids) == 1:
            return self.queue_ids[0]
        return self.rng.choices(self.queue_ids, self.queue_weights)[0]

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> Result:
        acd, events, s = self.acd, self.events, self.s
        self._push(self._next_arrival(0.0), "arrival", 1)
        pop, push = heapq.heappop, self._push
        wake = math.inf      # the earliest wake-up still pending
        t = 0.0
        while events:
            t, _, kind, data = pop(events)
            if kind == "arrival":
                self._arrival(data, t)
                if data < s.calls:
                    push(self._next_arrival(t), "arrival", data + 1)
            elif kind == "end":
                acd.call_ended(data[0], data[1], t)
            elif kind == "abandon":
                call = acd.waiting.get(data)
                if call is not None and call.kind is CallKind.LIVE:
                    acd.call_left(data, t)
            elif kind == "agent":
                self._staff_change(data[0], data[1], t)
            elif kind == "wake" and t >= wake:
                wake = math.inf
            self._act(acd.tick(t), t)
            deadline = acd.next_deadline()
            if deadline < wake:
                wake = max(deadline, t)
                push(wake, "wake", None)
        self._close_staffing(t)
        self.result.duration = t
        return self.result

    def _arrival(self, number: int, t: float) -> None:
        queue_id = self._pick_queue()
        self.arrived_at[number] = t
        handle = self.handles[number] = self._handle_time()
        seen = self.companions.arrive(t, handle) if self.companions else None
        if number > self.s.warmup_calls:
            self.counted.add(number)
            self.result.calls += 1
            self.result.call_numbers.append(number)
            if seen is not None:
                self.result.companion_seen[number] = seen
        skills = self.queue_skills.get(queue_id)
        self.acd.call_arrived(number, queue_id, t, skills=skills)
        if self.s.record_estimates and number in self.acd.waiting:
            ours, asterisk = self.acd.estimated_wait(number, t), self.acd.asterisk_estimated_wait(number, t)
            if ours is not None and asterisk is not None:
                self.estimates[number] = (ours, asterisk)
        if self.s.patience is not None:
            self._push(t + self.rng.expovariate(1.0 / self.s.patience), "abandon", number)

    def _act(self, actions: list, t: float) -> None:
        acd = self.acd
        while actions:
            for action in actions:
                kind = type(action)
                if kind is RingAgent:
                    if action.call_id in acd.waiting and action.agent_id in acd.waiting[action.call_id].ringing:
                        acd.agent_answered(action.call_id, action.agent_id, t)
                elif kind is Bridge:
                    self._answered(action.call_id, action.agent_id, t)
                elif kind is CallFinished:
                    self._finished(action.call_id, action.outcome)
                elif kind is PlaceCallback:
                    acd.agent_answered(action.call_id, action.agent_id, t)
                    acd.callback_result(action.call_id, True, t)
                    self._answered(action.call_id, action.agent_id, t, callback=True)
            actions = acd.take_actions()

    def _answered(self, call_id: int, agent_id: int, t: float, callback: bool = False) -> None:
        handle = self.handles.pop(call_id)      # a callback serves the work of the caller's own call
        self._push(t + handle, "end", (call_id, agent_id))
        if call_id not in self.counted:
            return
        result = self.result
        result.busy_time += handle + self.s.wrapup
        if callback:
            return
        wait = t - self.arrived_at[call_id]
        result.waits[call_id] = wait
        result.answered += 1
        result.total_wait += wait
        if wait > 0:
            result.waited += 1
        if wait <= self.s.sl_target:
            result.answered_in_target += 1
        estimate = self.estimates.pop(call_id, None)
        if estimate is not None:
            result.estimate_errors.append((estimate[0] - wait, estimate[1] - wait))

    def _finished(self, call_id: int, outcome: str) -> None:
        self.estimates.pop(call_id, None)
        if outcome == "abandoned" or outcome.startswith("overflow"):
            self.handles.pop(call_id, None)
        if call_id not in self.counted or outcome == "answered" or outcome.startswith("callback"):
            return
        if outcome == "abandoned":
            self.result.abandoned += 1
            self.result.waited += 1
        elif outcome.startswith("overflow"):
            self.result.overflowed += 1

    def _staff_change(self, agent_id: int, queue_ids: tuple[int, ...], t: float) -> None:
        self._close_staffing(t)
        was = bool(self.acd.agent(agent_id).queue_ids)
        self.acd.login(agent_id, queue_ids, t)
        self.logged_in += bool(queue_ids) - was

    def _close_staffing(self, t: float) -> None:
        self.result.staffed_time += self.logged_in * (t - self.last_staff_change)
        self.last_staff_change = t


def simulate(scenario: Scenario) -> Result:
    return Simulation(scenario).run()
