#!/usr/bin/env python3
"""Benchmark: how close 200,000 simulated calls come to Erlang C, plain means against the
steady-state (control-variate) figures, over several seeds.

    .venv/bin/python bench/steady_state.py [--seeds 5] [--calls 200000] [--json]
    .venv/bin/python bench/steady_state.py --recursion-seeds 100     # the spread of the plain ASA

For each M/M/N case of the validation (A = 10 Erlang with N = 11..15, A = 2 with N = 3..5, AHT
180 s, SL target 20 s) and each seed, the simulator runs the calls through the real ACD; the table
shows the worst and the root-mean-square error of the ASA (in % of Erlang C) and of the service
level and p_wait (in points), for the plain means and for the steady-state figures.

With --recursion-seeds K it shows instead why the plain mean cannot promise 5 %: the ASA of the
exact FCFS M/M/N recursion (Kiefer-Wolfowitz, no ACD: the same model the simulator is checked
against call by call) at A = 10, N = 11, over K seeds, with its spread around Erlang C.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.acd.simulate import Scenario, simulate  # noqa: E402
from firmware.stats.erlang import erlang_c_figures  # noqa: E402

AHT = 180.0
CASES = [(10.0, n) for n in range(11, 16)] + [(2.0, n) for n in range(3, 6)]


def errors(load: float, agents: int, calls: int, seed: int) -> dict[str, dict[str, float]]:
    result = simulate(Scenario(arrival_rate=load / AHT * 3600, aht=AHT, agents=agents, calls=calls, seed=seed))
    expected = erlang_c_figures(load, agents, AHT, 20.0)
    steady = result.steady_state()

    def off(asa: float, sl: float, p_wait: float) -> dict[str, float]:
        return {"asa_percent": 100 * (asa / expected.asa - 1), "sl_points": 100 * (sl - expected.service_level),
                "p_wait_points": 100 * (p_wait - expected.p_wait)}

    return {"plain": off(result.asa_seconds, result.service_level, result.p_wait),
            "steady": off(steady["asa_seconds"].value, steady["service_level"].value, steady["p_wait"].value)}


def recursion_asa(load: float, agents: int, calls: int, seed: int) -> float:
    """Mean wait of `calls` FCFS M/M/N calls: each starts at max(arrival, earliest free agent)."""
    rng = random.Random(seed)
    rate, t, free, total = load / AHT, 0.0, [0.0] * agents, 0.0
    for _ in range(calls):
        t += rng.expovariate(rate)
        start = max(t, heapq.heappop(free))
        total += start - t
        heapq.heappush(free, start + rng.expovariate(1.0 / AHT))
    return total / calls


def recursion_spread(seeds: int, calls: int, load: float = 10.0, agents: int = 11) -> dict[str, float]:
    expected = erlang_c_figures(load, agents, AHT, 20.0).asa
    errors = [100 * (recursion_asa(load, agents, calls, seed) / expected - 1) for seed in range(1, seeds + 1)]
    return {"seeds": seeds, "calls": calls, "mean_percent": statistics.mean(errors),
            "sd_percent": statistics.stdev(errors), "within_5_percent": sum(abs(e) <= 5 for e in errors)}


def summary(values: list[float]) -> dict[str, float]:
    return {"worst": max(values, key=abs), "rms": math.sqrt(sum(v * v for v in values) / len(values))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--recursion-seeds", type=int, metavar="K", help="only the spread of the plain ASA")
    args = parser.parse_args()
    if args.recursion_seeds:
        spread = recursion_spread(args.recursion_seeds, args.calls)
        print(json.dumps(spread, indent=2) if args.json else
              f"A10-N11, {spread['calls']:,} calls, seeds 1-{spread['seeds']}: plain ASA off Erlang C by "
              f"{spread['mean_percent']:+.2f} % on average, standard deviation {spread['sd_percent']:.2f} %, "
              f"within 5 % for {spread['within_5_percent']} of {spread['seeds']} seeds")
        return 0
    rows = {}
    for load, agents in CASES:
        runs = [errors(load, agents, args.calls, seed) for seed in range(1, args.seeds + 1)]
        rows[f"A{load:g}-N{agents}"] = {kind: {figure: summary([run[kind][figure] for run in runs])
                                               for figure in runs[0][kind]} for kind in ("plain", "steady")}
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.calls:,} calls, seeds 1-{args.seeds}; worst / rms error against Erlang C")
    print(f"{'case':8} {'ASA % plain':>16} {'ASA % steady':>16} {'SL pt plain':>14} {'SL pt steady':>14} "
          f"{'p_wait plain':>14} {'p_wait steady':>14}")
    for name, row in rows.items():
        cells = []
        for figure in ("asa_percent", "sl_points", "p_wait_points"):
            for kind in ("plain", "steady"):
                s = row[kind][figure]
                cells.append(f"{s['worst']:+6.2f} / {s['rms']:4.2f}")
        print(f"{name:8} " + " ".join(f"{c:>15}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
