"""Jitter buffer benchmark: cython_ext.jitter on seeded network traces, and the cost of put/get.

    .venv/bin/python bench/jitter.py [--seconds 120] [--seed 1]

Each trace is 20 ms G.711-sized frames from a sender, with a network delay (and loss) model; the
receiver ticks every 20 ms on its own clock, puts what has arrived and gets one frame. Reported:
late loss (frames that arrived after their playout time, % of frames sent), network loss, frames
concealed, inserted (grow) and dropped (shrink), re-anchorings of the delay estimate on a level shift,
and the mean delay the buffer added (playout time - arrival, over frames played).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cython_ext import kernel  # noqa: E402

PTIME = 0.02
BASE = 0.020  # 20 ms of one-way delay everywhere


def gilbert_elliott(rng: random.Random, n: int, loss: float, burst: float = 3.0) -> set[int]:
    """Two-state loss: mean burst length `burst`, overall loss rate `loss`."""
    p_bg = 1 / burst                    # bad -> good
    p_gb = loss * p_bg / (1 - loss)     # good -> bad, so that the stationary loss is `loss`
    lost, bad = set(), False
    for k in range(n):
        bad = (rng.random() >= p_bg) if bad else (rng.random() < p_gb)
        if bad:
            lost.add(k)
    return lost


def traces(seconds: float, seed: int):
    n = int(seconds / PTIME)

    def make(name, delay, lost=frozenset(), drift=0.0):
        return name, [(k * PTIME * (1 + drift) + BASE + delay(k), k) for k in range(n) if k not in lost]

    r = lambda i: random.Random(seed * 100 + i)  # noqa: E731
    u = r(1)
    yield make("uniform 0-40 ms", lambda k: u.uniform(0, 0.040))
    p = r(2)
    yield make("pareto a=2.5, 5 ms", lambda k: min(1.0, (p.paretovariate(2.5) - 1) * 0.005))
    for i, loss in enumerate((0.01, 0.03, 0.05)):
        j = r(3 + i)
        yield make(f"GE loss {loss:.0%} + 0-20 ms", lambda k, j=j: j.uniform(0, 0.020),
                   lost=gilbert_elliott(r(10 + i), n, loss))
    s = r(6)
    yield make("150 ms step (1/3..2/3)", lambda k: s.uniform(0, 0.010) + (0.150 if n // 3 <= k < 2 * n // 3 else 0))
    for i, drift in enumerate((+0.001, -0.001)):
        d = r(7 + i)
        yield make(f"drift {drift:+.1%}", lambda k, d=d: d.uniform(0, 0.010), drift=drift)
    o = r(9)
    yield make("reorder 5% by 1-3 frames", lambda k: o.uniform(0, 0.005) + (o.randint(1, 3) * PTIME if o.random() < 0.05 else 0))
    for burst in (2, 4, 8):
        b = r(20 + burst)
        yield make(f"bursts of {burst}", lambda k, burst=burst, b=b: (burst - 1 - k % burst) * PTIME + b.uniform(0, 0.003))


def run(jb_cls, packets, n_sent):
    packets = sorted(packets)
    jb = jb_cls()
    pcm = bytes(320)
    i, t = 0, 0
    while True:
        now = t * PTIME + 0.0073  # the receiver's tick phase is unrelated to the sender's
        t += 1
        while i < len(packets) and packets[i][0] <= now:
            arrival, k = packets[i]
            jb.put(k & 0xFFFF, (160 * k) & 0xFFFFFFFF, pcm, arrival)
            i += 1
        s = jb.stats()
        if i == len(packets) and s["played"] + s["late"] + s["dropped"] + s["overflow"] >= s["received"]:
            return s, n_sent  # every frame accounted for: stop before concealing past the end
        jb.get(now)


def cost(jb_cls, n=200_000) -> tuple[float, float]:
    jb = jb_cls()
    pcm = bytes(320)
    rng = random.Random(5)
    arrivals = [k * PTIME + rng.uniform(0, 0.03) for k in range(n)]
    put_t = get_t = 0.0
    clock = time.perf_counter
    for k in range(n):
        t0 = clock()
        jb.put(k & 0xFFFF, 160 * k, pcm, arrivals[k])
        t1 = clock()
        jb.get(k * PTIME + 0.05)
        t2 = clock()
        put_t += t1 - t0
        get_t += t2 - t1
    # the timer's own cost, measured the same way
    empty = 0.0
    for _ in range(n):
        t0 = clock()
        t1 = clock()
        empty += t1 - t0
    return (put_t - empty) / n * 1e6, (get_t - empty) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quantile", type=float, default=0.97)
    ap.add_argument("--forget", type=float, default=0.995)
    args = ap.parse_args()
    base = kernel("jitter", "c").JitterBuffer
    jb_cls = lambda: base(quantile=args.quantile, forget=args.forget)  # noqa: E731
    print(f"jitter buffer (cython_ext.jitter, quantile {args.quantile}, forget {args.forget}), "
          f"{args.seconds:.0f} s traces, seed {args.seed}")
    print(f"{'trace':<28} {'late %':>7} {'net loss %':>10} {'concealed':>9} {'grown':>6} {'shrunk':>6} {'re-anch':>7} {'added ms':>9}")
    n = int(args.seconds / PTIME)
    for name, packets in traces(args.seconds, args.seed):
        s, sent = run(jb_cls, packets, n)
        print(f"{name:<28} {100 * s['late'] / sent:7.2f} {100 * (sent - len(packets)) / sent:10.2f} "
              f"{s['concealed']:9d} {s['expanded']:6d} {s['dropped']:6d} {s['reanchored']:7d} {s['mean_delay_ms']:9.1f}")
    put_us, get_us = cost(jb_cls)
    print(f"cost per call from Python (timer overhead subtracted): put {put_us:.3f} us, get {get_us:.3f} us")


if __name__ == "__main__":
    main()
