"""Calls offered at twice the box's setup capacity (issue 8, finding 13), through bench/calls.py.

Past its capacity the edge refuses new calls at once with 503 and Retry-After (kamailio.cfg
route[ADMIT]: at most SETUP_LIMIT calls in setup at the engine, SETUP_RATE admitted per second).
The calls it takes all complete (answered, queued, hung up by the caller; no trunk SIPp failure,
every CDR closed) and the refused ones learn it within milliseconds. Without the limits a longer
run of the same load made the engine spiral (docs/benchmarks.md, "Overload").

The capacity of this 2-core machine with its load generators on it is about 65 setups/s
(docs/benchmarks.md); the test offers 130/s for 3 s with 100 agents and 3-s calls, which keeps its
CPU to a few seconds of both cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.box import REPO

# Alone: it offers twice the measured setup capacity, which assumes the box has the machine to itself.
pytestmark = [pytest.mark.sip, pytest.mark.slow, pytest.mark.alone]

CAPACITY_CPS = 65           # measured, docs/benchmarks.md "Overload"
SETUP_RATE = 65             # kamailio.cfg's default: calls admitted to the engine per clock second
# INVITE -> 503 as the trunk SIPp measures it: when it reads the 503, so its own wait for a CPU counts.
# The edge sends it within a millisecond; on a machine whose cores other programs keep busy (two CPU
# burners beside the test) SIPp's average came to 12-61 ms. Still "at once" against SIP's timers: a
# caller retransmits after 500 ms. bench/calls.py's target on a quiet machine stays 50 ms.
REFUSAL_MS = 200


def run_bench(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "calls.py"), "--json", *args], cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=400)
    out = done.stdout
    start = out.find("\n{")
    assert start >= 0, f"no report from bench/calls.py (exit {done.returncode}):\n{out[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(out[start + 1:])


def test_at_twice_the_setup_capacity_admitted_calls_complete_and_the_rest_get_503_at_once():
    report = run_bench("--no-concurrency", "--setup-seconds", "0", "--calls", "150",
                       "--overload-rate", str(2 * CAPACITY_CPS), "--overload-seconds", "6", "--overload-hold", "3")
    assert "error" not in report, report.get("error")
    phase = report["overload"]
    explain = json.dumps({k: v for k, v in phase.items() if k != "sipp_errors"}, indent=1) + phase["sipp_errors"]
    cdr = phase["cdr"]
    assert phase["trunk_calls_created"] == phase["calls"], explain
    # Every call either completed (200, ACK, the caller's BYE answered) or was refused: no SIPp failure.
    # (The agents' SIPp aborts a call it had already ended when a retransmitted ACK comes late: counted apart.)
    assert phase["trunk_calls_failed"] == 0, explain
    assert phase["agent_calls_failed"] == phase["agent_calls_aborted_on_a_late_ack"], explain
    assert phase["trunk_calls_successful"] == phase["calls"], explain
    # Overload was reached, and the refusals came at once.
    assert phase["refused_503"] > 0, explain
    assert phase["invite_to_503_ms_avg"] is not None and phase["invite_to_503_ms_avg"] < REFUSAL_MS, explain
    # Every admitted call reached the engine, and its CDR is closed.
    assert cdr["cdrs"] == phase["admitted"] > 0, explain
    # No more than SETUP_RATE a clock second reached it, over the seconds its INVITEs spanned at the
    # engine (+2: the partial seconds at either end; +1: the engine may have read the first INVITE
    # later than the last, relative to the edge). When the edge's per-second count was dead, all 780
    # were admitted; the load and setup limits refuse only as far as this machine's load makes them,
    # so only this bound is sure.
    clock_seconds = int(cdr["invite_span_s"]) + 3
    assert phase["admitted"] <= SETUP_RATE * clock_seconds, explain
    assert sum(cdr["outcomes"].values()) == cdr["cdrs"] and all(
        not key.startswith("None") for key in cdr["outcomes"]), explain
