#!/usr/bin/env python3
"""Benchmark: how fast the discrete-event simulator runs calls through the real ACD.

    .venv/bin/python bench/simulator.py [--json]

1. a day of a 20-seat center: about 3,000 calls over 10 hours with a morning and an afternoon
   peak, log-normal handle times, 30 s wrap-up, callers who give up; target < 1 s;
2. 200,000 calls of M/M/N (A = 10 Erlang, 11 agents, no abandonment); target < 60 s.
Each is timed in-process (module import excluded) and printed with its figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.acd.simulate import Scenario, simulate  # noqa: E402

DAY = [(3600, 200), (7200, 420), (3600, 280), (3600, 220), (7200, 360), (7200, 160), (3600, 80)]


def timed(scenario: Scenario) -> tuple[float, dict]:
    start = time.perf_counter()
    result = simulate(scenario)
    return time.perf_counter() - start, result.as_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = {
        "day-20-seats": (Scenario(arrival_rate=DAY, aht=150.0, agents=20, calls=3000, wrapup=30.0, handle="lognormal",
                                  handle_cv=0.9, patience=150.0, seed=1), 1.0),
        "mmn-200k": (Scenario(arrival_rate=200.0, aht=180.0, agents=11, calls=200_000, seed=1), 60.0),
    }
    rows = {}
    for name, (scenario, target) in runs.items():
        seconds, figures = timed(scenario)
        rows[name] = {"seconds": seconds, "target_seconds": target, "calls_per_second": figures["calls"] / seconds,
                      **figures}
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for name, row in rows.items():
            print(f"{name:14} {row['calls']:7d} calls in {row['seconds']:6.2f} s ({row['calls_per_second']:,.0f} calls/s, "
                  f"target < {row['target_seconds']:g} s)  SL {row['service_level']:.3f}  ASA {row['asa_seconds']:.1f} s  "
                  f"abandoned {row['abandon_rate']:.1%}  occupancy {row['occupancy']:.1%}")
    ok = all(row["seconds"] < row["target_seconds"] for row in rows.values())
    print("targets:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
