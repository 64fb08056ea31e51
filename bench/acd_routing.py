#!/usr/bin/env python3
"""Benchmark: one ACD routing decision in a large center (200 agents, 20 queues).

    .venv/bin/python bench/acd_routing.py [--decisions 20000] [--strategy longest-idle] [--json]

Each agent serves 3 of the 20 queues; about 90 % of the agents are on calls and callers wait in
some queues, as in a busy hour. One decision = a call arrives (`call_arrived`) and the ACD picks the
agent to ring (`tick`: timers, then routing across all queues). Between decisions, untimed, the rung
agent answers and a random talking agent hangs up, so the load stays the same. Target: median
<= 50 us.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.acd import Acd, AgentConfig, QueueConfig, RingAgent, SkillRule, Strategy  # noqa: E402

AGENTS, QUEUES = 200, 20


def build(strategy: Strategy, rng: random.Random) -> Acd:
    acd = Acd(sweep_interval=float("inf"))
    for q in range(1, QUEUES + 1):
        acd.configure_queue(q, QueueConfig(strategy=strategy, weight=q % 3,
                                           skill_rules=(SkillRule(20, 1),) if strategy is Strategy.SKILLS else ()), 0.0)
    for a in range(1, AGENTS + 1):
        acd.configure_agent(a, AgentConfig(skills={"lang": rng.randint(1, 10)}), 0.0)
        acd.login(a, rng.sample(range(1, QUEUES + 1), 3), 0.0)
    return acd


def run(strategy: Strategy, decisions: int, seed: int) -> dict:
    rng = random.Random(seed)
    acd = build(strategy, rng)
    now, call_id = 1.0, 0
    skills = {"lang": 5} if strategy is Strategy.SKILLS else None

    def one_call(timed: bool) -> float:
        nonlocal now, call_id
        call_id += 1
        now += 0.5                                # about 2 calls a second: a busy hour of 200 agents
        start = time.perf_counter_ns()
        acd.call_arrived(call_id, rng.randint(1, QUEUES), now, skills=skills)
        actions = acd.tick(now)
        elapsed = time.perf_counter_ns() - start
        for action in actions:
            if isinstance(action, RingAgent) and action.call_id in acd.waiting:
                acd.agent_answered(action.call_id, action.agent_id, now)
        acd.take_actions()
        return elapsed / 1000.0

    while sum(1 for a in acd.agents.values() if a.current_call is not None) < 0.9 * AGENTS:
        one_call(False)                           # fill the center up to 90 % busy
    samples = []
    for _ in range(decisions):
        samples.append(one_call(True))
        talking = [a for a in acd.agents.values() if a.state.value == "busy"]
        agent = rng.choice(talking)
        acd.call_ended(agent.current_call, agent.id, now)
        acd.take_actions()
    samples.sort()
    return {"strategy": strategy.value, "decisions": decisions, "waiting_calls": len(acd.waiting),
            "median_us": statistics.median(samples), "p90_us": samples[int(0.9 * len(samples))],
            "p99_us": samples[int(0.99 * len(samples))]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--strategy", default="all", help="a strategy name, or all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    strategies = list(Strategy) if args.strategy == "all" else [Strategy(args.strategy)]
    rows = [run(s, args.decisions, args.seed) for s in strategies]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{AGENTS} agents, {QUEUES} queues, 90 % busy; one decision = call_arrived + tick")
        print(f"{'strategy':16} {'waiting':>8} {'median us':>10} {'p90 us':>8} {'p99 us':>8}")
        for r in rows:
            print(f"{r['strategy']:16} {r['waiting_calls']:8d} {r['median_us']:10.1f} {r['p90_us']:8.1f} "
                  f"{r['p99_us']:8.1f}")
    ok = all(r["median_us"] <= 50.0 for r in rows)
    print("target (median <= 50 us):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
