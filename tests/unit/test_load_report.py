"""The engine's load as the edge learns it (firmware/engine/load_report.py), on a clock the test turns."""

from __future__ import annotations

import threading
from pathlib import Path

from firmware.edge import rpc
from firmware.engine import load_report
from firmware.engine.load_report import BUSY_FROM, CHECK_EVERY, HOLD, REFRESH, LoadReport, thread_demand_seconds


class Loop:
    """A loop thread's scheduler account: `share` of each second spent running or ready to run."""

    def __init__(self):
        self.now = 100.0
        self.demand = 5.0
        self.share = 0.1
        self.told: list[tuple[float, bool]] = []
        self.edge_up = True

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.demand += seconds * self.share

    def publish(self, busy: bool) -> None:
        if not self.edge_up:
            raise rpc.EdgeUnavailable("not running")
        self.told.append((self.now, busy))

    def report(self) -> LoadReport:
        return LoadReport(publish=self.publish, clock=lambda: self.now, demand=lambda: self.demand)

    def run(self, report: LoadReport, seconds: float) -> list[bool]:
        states = []
        for _ in range(round(seconds / CHECK_EVERY)):
            self.advance(CHECK_EVERY)
            states.append(report.check())
        return states


def test_a_loop_that_keeps_up_is_not_busy_and_the_edge_is_told_so_once():
    loop = Loop()
    report = loop.report()
    assert not any(loop.run(report, 3.0))
    assert [busy for _, busy in loop.told] == [False]


def test_a_loop_that_has_work_all_the_time_is_busy_within_a_window_and_stays_so_while_it_lasts():
    loop = Loop()
    report = loop.report()
    loop.run(report, 1.0)
    loop.share = 0.97
    states = loop.run(report, 3.0)
    first_busy = states.index(True) * CHECK_EVERY
    assert first_busy <= 0.5                         # one window
    assert all(states[states.index(True):])
    # A standing "busy" is written again, so the edge (which forgets it after a few seconds) keeps it.
    busy_writes = [t for t, busy in loop.told if busy]
    assert len(busy_writes) >= 2 and all(b - a <= REFRESH + CHECK_EVERY for a, b in zip(busy_writes, busy_writes[1:]))


def test_busy_is_held_a_moment_after_the_loop_caught_up_then_the_edge_admits_again():
    loop = Loop()
    report = loop.report()
    loop.share = 1.0
    loop.run(report, 1.0)
    assert report.busy
    loop.share = 0.2
    states = loop.run(report, 3.0)
    freed = states.index(False) * CHECK_EVERY
    assert HOLD <= freed <= HOLD + 1.0
    assert loop.told[-1][1] is False and not any(states[states.index(False):])


def test_a_starved_loop_counts_its_wait_for_a_cpu():
    """Run-queue time is in the account: a loop that barely runs but always waits to run is busy."""
    loop = Loop()
    report = loop.report()
    loop.share = BUSY_FROM + 0.02                     # e.g. 0.3 on a CPU and 0.62 waiting for one
    assert loop.run(report, 1.0)[-1]


def test_an_edge_that_is_not_there_is_told_when_it_is_back():
    loop = Loop()
    loop.edge_up = False
    report = loop.report()
    loop.run(report, 0.5)
    assert loop.told == []
    loop.edge_up = True
    loop.run(report, 0.2)
    assert [busy for _, busy in loop.told] == [False]


def test_the_scheduler_account_of_a_real_thread_grows_while_it_works():
    path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
    before = thread_demand_seconds(path)
    assert before is not None
    sum(i * i for i in range(300_000))
    assert thread_demand_seconds(path) > before
    assert thread_demand_seconds(Path("/proc/self/task/0/schedstat")) is None


def test_the_edge_is_told_over_json_rpc_in_its_htable(monkeypatch):
    calls = []
    monkeypatch.setattr(rpc, "call", lambda method, *params, **kw: calls.append((method, params)))
    load_report.tell_edge(True)
    load_report.tell_edge(False)
    assert calls == [("htable.seti", ("load", "engine_busy", 1)), ("htable.seti", ("load", "engine_busy", 0))]
