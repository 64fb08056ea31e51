"""How busy the engine's loop is, told to the edge, which refuses new calls while the engine is behind.

Why: the edge's fixed limits (kamailio.cfg route[ADMIT]: calls in setup, calls admitted per second)
are figures measured on a quiet box. On a box whose CPU is also taken by other work, the engine falls
behind at a lower rate: answers to BYEs and ACKs then come seconds late, callers retransmit, and the
engine spirals (issue 8, finding 13). Its own loop knows first.

What is measured: the loop thread's demand, the share of wall-clock time it was running or ready to
run, from the kernel's per-thread scheduler account (/proc/thread-self/schedstat: time on a CPU and
time waiting in the run queue). A loop that keeps up sleeps in its poll for much of each second; one
that is behind always has work, and one starved of CPU by other programs waits in the run queue,
which its own clock cannot see (a wake-up that comes late looks like idle time from inside).

What the edge gets: `engine_busy` in its htable `load` (JSON-RPC `htable.seti`, from a thread of its
own so that the loop never waits for the edge), 1 while the demand is at or above BUSY_FROM and for
HOLD seconds after, then 0. While busy it is written again every REFRESH seconds; the edge forgets it
a few seconds after the last write (autoexpire in kamailio.cfg), so an engine that is gone leaves no
refusal behind (the edge's setup limit covers an engine that does not answer).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from firmware.edge import rpc

log = logging.getLogger(__name__)

WINDOW = 0.5          # seconds over which the loop's demand is measured
BUSY_FROM = 0.9       # demand (share of the window) from which new calls are refused
HOLD = 1.0            # seconds a busy engine stays busy for the edge, while its backlog drains
CHECK_EVERY = 0.05    # seconds between two looks
REFRESH = 1.0         # seconds between writes of a standing "busy"
HTABLE, KEY = "load", "engine_busy"


def tell_edge(busy: bool) -> None:
    rpc.call("htable.seti", HTABLE, KEY, int(busy), timeout=0.5)


def thread_demand_seconds(schedstat: Path) -> float | None:
    """Seconds a thread has run plus waited to run (schedstat: "<run ns> <wait ns> <slices>")."""
    try:
        run_ns, wait_ns, _ = schedstat.read_text().split()
        return (int(run_ns) + int(wait_ns)) / 1e9
    except (OSError, ValueError):
        return None


class LoadReport:
    def __init__(self, publish: Callable[[bool], None] = tell_edge, clock: Callable[[], float] = time.monotonic,
                 demand: Callable[[], float | None] | None = None):
        self._publish = publish
        self._clock = clock
        self._demand = demand
        self._samples: deque[tuple[float, float]] = deque()     # (wall, demand seconds)
        self.share = 0.0
        self.busy = False
        self._busy_until = 0.0
        self._published: tuple[bool, float] | None = None       # (state, when)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Whether the engine is busy now; tells the edge when that changed (and again while it lasts)."""
        now = self._clock()
        demand = self._demand() if self._demand else None
        if demand is not None:
            self._samples.append((now, demand))
            while len(self._samples) > 2 and now - self._samples[1][0] >= WINDOW:
                self._samples.popleft()
            then, before = self._samples[0]
            if now - then >= WINDOW / 2:
                self.share = (demand - before) / (now - then)
        if self.share >= BUSY_FROM:
            if not self.busy:
                log.warning("engine busy (its loop ran or waited for a CPU %.0f %% of the last %.1f s): the edge "
                            "refuses new calls", 100 * self.share, WINDOW)
            self._busy_until = now + HOLD
            self.busy = True
        elif self.busy and now >= self._busy_until:
            log.warning("engine keeps up again (its loop's demand %.0f %%): the edge admits new calls",
                        100 * self.share)
            self.busy = False
        published = self._published
        if published is None or published[0] != self.busy or (self.busy and now - published[1] >= REFRESH):
            try:
                self._publish(self.busy)
                self._published = (self.busy, now)
            except (rpc.EdgeUnavailable, rpc.EdgeError, OSError) as exc:
                log.debug("engine load not told to the edge: %s", exc)
        return self.busy

    def start(self) -> None:
        """Watches the calling thread (the engine's loop) from a thread of its own."""
        if self._demand is None:
            schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
            if thread_demand_seconds(schedstat) is None:
                log.warning("no scheduler account at %s: the edge will not know the engine's load", schedstat)
            self._demand = lambda: thread_demand_seconds(schedstat)
        self._thread = threading.Thread(target=self._run, name="load-report", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY):
            try:
                self.check()
            except Exception:          # the report must go on: without it the edge has only its fixed limits
                log.exception("engine load report failed")
