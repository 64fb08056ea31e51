"""Erlang B, C (M/M/N) and A (M/M/N+M, callers abandon) and the agents needed for a service level.

All times are in seconds, arrival rates in calls per second unless a name says otherwise.
Service level is the share of offered calls answered within `target` seconds of waiting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def offered_load(calls_per_hour: float, aht: float) -> float:
    """Traffic in Erlang: arrival rate times average handle time."""
    return calls_per_hour / 3600.0 * aht


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability of M/M/N/N, by the stable recursion B(n) = A B(n-1) / (n + A B(n-1))."""
    if agents < 0 or load < 0:
        raise ValueError("load and agents must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(load: float, agents: int) -> float:
    """Probability that a call waits (M/M/N, infinite patience); 1 when the load is too high."""
    if agents <= load:
        return 1.0
    b = erlang_b(load, agents)
    return agents * b / (agents - load * (1.0 - b))


@dataclass(frozen=True)
class ErlangC:
    """Steady-state figures of M/M/N for one load, staffing and answer target."""
    load: float
    agents: int
    aht: float
    target: float
    p_wait: float
    service_level: float
    asa: float
    occupancy: float


def erlang_c_figures(load: float, agents: int, aht: float, target: float) -> ErlangC:
    """Service level P(W <= target) = 1 - C e^(-(N-A) target / AHT), ASA = C AHT / (N - A)."""
    c = erlang_c(load, agents)
    if agents <= load:
        return ErlangC(load, agents, aht, target, 1.0, 0.0, math.inf, 1.0)
    sl = 1.0 - c * math.exp(-(agents - load) * target / aht)
    asa = c * aht / (agents - load)
    return ErlangC(load, agents, aht, target, c, sl, asa, load / agents)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of M/M/N+M (exponential patience): waits, abandons, service level."""
    load: float
    agents: int
    aht: float
    patience: float
    target: float
    p_wait: float
    p_abandon: float
    service_level: float     # answered within target / offered
    asa: float               # mean wait of the answered calls
    occupancy: float


def erlang_a(load: float, agents: int, aht: float, patience: float, target: float,
             max_queue: int | None = None) -> ErlangA:
    """Erlang A from the birth-death chain (truncated far in the tail) and a tagged caller's race.

    A caller who finds j others queued reaches an agent after j+1 queue departures, each at rate
    N mu + i gamma (service starts plus other callers abandoning), unless their own patience
    (rate gamma) runs out first. Both the answered-within-target share and the mean wait of the
    answered follow from that race, computed exactly for exponential patience.
    """
    if patience <= 0:
        raise ValueError("patience must be positive")
    mu, gamma = 1.0 / aht, 1.0 / patience
    lam = load * mu
    if max_queue is None:
        max_queue = max(200, int(20 * (load + 10) * patience / aht + 10 * agents))
    # stationary distribution, unnormalised, in log space to avoid overflow
    weights = [1.0]
    for n in range(1, agents + max_queue + 1):
        death = mu * min(n, agents) + gamma * max(0, n - agents)
        weights.append(weights[-1] * lam / death)
        if n > agents and weights[-1] < 1e-300:
            break
    total = sum(weights)
    probs = [w / total for w in weights]
    p_wait = sum(probs[agents:])
    answered_in_target = sum(probs[:agents])      # no wait at all
    answered = answered_in_target
    wait_of_answered = 0.0
    for j, p in enumerate(probs[agents:]):
        if p < 1e-16:
            continue
        served, served_in_target, mean_wait_served = _tagged_caller(j, agents * mu, gamma, target)
        answered += p * served
        answered_in_target += p * served_in_target
        wait_of_answered += p * mean_wait_served
    p_abandon = 1.0 - answered
    asa = wait_of_answered / answered if answered > 0 else math.inf
    occupancy = lam * (1.0 - p_abandon) * aht / agents
    return ErlangA(load, agents, aht, patience, target, p_wait, p_abandon, answered_in_target, asa, occupancy)


def _tagged_caller(ahead: int, service_rate: float, gamma: float, target: float) -> tuple[float, float, float]:
    """For a caller with `ahead` callers in front: P(answered), P(answered within target) and
    E[wait; answered] (the wait times the indicator of being answered).

    The time to reach an agent is a sum of exponential stages with rates r_i = service_rate + i gamma,
    i = ahead..0; the caller survives each stage with probability r_i / (r_i + gamma), which turns
    the race into stages of rate r_i + gamma with a survival factor.
    """
    rates = [service_rate + i * gamma + gamma for i in range(ahead, -1, -1)]
    survive = 1.0
    mean = 0.0
    for i in range(ahead, -1, -1):
        r = service_rate + i * gamma
        survive *= r / (r + gamma)
    for rate in rates:
        mean += 1.0 / rate
    # P(sum of stages <= target) for a hypoexponential with distinct rates (rates differ by gamma)
    cdf = _hypoexponential_cdf(rates, target)
    return survive, survive * cdf, survive * mean


def _hypoexponential_cdf(rates: list[float], t: float) -> float:
    """P(X <= t) for X a sum of independent exponentials; by uniformisation (stable for any rates)."""
    if t <= 0:
        return 0.0
    top = max(rates)
    stages = len(rates)
    # uniformised chain: in stage k, leave with probability rates[k]/top per Poisson event
    state = [0.0] * (stages + 1)
    state[0] = 1.0
    lam_t = top * t
    # Poisson weights computed iteratively; enough terms to cover the mass
    terms = int(lam_t + 10 * math.sqrt(lam_t) + 30)
    log_w = -lam_t
    done = 0.0
    for k in range(terms + 1):
        weight = math.exp(log_w)
        done += weight * state[stages]
        nxt = [0.0] * (stages + 1)
        for s in range(stages):
            p = rates[s] / top
            nxt[s] += state[s] * (1.0 - p)
            nxt[s + 1] += state[s] * p
        nxt[stages] += state[stages]
        state = nxt
        log_w += math.log(lam_t) - math.log(k + 1)
    return min(1.0, done)


def agents_needed(calls_per_hour: float, aht: float, target: float, service_level: float,
                  patience: float | None = None, max_occupancy: float = 1.0,
                  asa: float | None = None) -> int:
    """The fewest agents that reach the service level (and the ASA and occupancy caps if given).

    Erlang C without `patience`, Erlang A with it.
    """
    if not 0.0 < service_level < 1.0:
        raise ValueError("service_level is a share between 0 and 1, e.g. 0.8")
    load = offered_load(calls_per_hour, aht)
    agents = max(1, math.floor(load) + (0 if patience else 1))
    while True:
        figures: ErlangA | ErlangC
        if patience:
            figures = erlang_a(load, agents, aht, patience, target)
        else:
            figures = erlang_c_figures(load, agents, aht, target)
        if (figures.service_level >= service_level and figures.occupancy <= max_occupancy
                and (asa is None or figures.asa <= asa)):
            return agents
        agents += 1
