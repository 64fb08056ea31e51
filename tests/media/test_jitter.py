"""Jitter buffer on tiny hand-made packet sequences (in order, reordered, duplicate, wrap, late,
restart, burst) and on scripted traces (delay step, clock drift, a spike that goes away)."""

from __future__ import annotations

import math
import random
from array import array

import pytest

PTIME = 0.02


def frame_of(k: int, n: int = 160) -> bytes:
    """Frame k is a constant k + 1, so the value of its last sample tells which frame was played."""
    return array("h", [k + 1] * n).tobytes()


def tone(k: int, n: int = 160, freq: float = 200.0, rate: int = 8000, amp: int = 8000) -> bytes:
    return array("h", [int(amp * math.sin(2 * math.pi * freq * (k * n + i) / rate)) for i in range(n)]).tobytes()


def label(out: bytes) -> int:
    """Which frame an output is (its last sample - 1), or -1 for silence/concealment of silence."""
    return array("h", out)[-1] - 1


def drive(jb, packets, ticks: int, t0: float = 0.0, tick: float = PTIME):
    """packets: (arrival, seq, ts, payload). Each tick puts what has arrived, then gets one frame."""
    packets = sorted(packets, key=lambda p: p[0])
    out, kinds, i = [], [], 0
    for k in range(ticks):
        now = t0 + k * tick
        while i < len(packets) and packets[i][0] <= now:
            arrival, seq, ts, payload = packets[i]
            jb.put(seq, ts, payload, arrival)
            i += 1
        out.append(jb.get(now))
        kinds.append(jb.kind)
    drive.kinds = kinds
    return out


def stream(n: int, delay=lambda k: 0.005, seq0: int = 0, ts0: int = 0, payload=frame_of, skip=()):
    return [(k * PTIME + delay(k), (seq0 + k) & 0xFFFF, (ts0 + 160 * k) & 0xFFFFFFFF, payload(k))
            for k in range(n) if k not in skip]


def concealed(kinds=None) -> int:
    """Concealed frames of the last drive() while the stream lasted (after it, concealment is right)."""
    kinds = drive.kinds if kinds is None else kinds
    last = max(i for i, k in enumerate(kinds) if k == "audio")
    return kinds[:last].count("concealed")


def assert_in_order(got: list[int], expected: list[int], jb) -> None:
    """Played in order, nothing twice; whatever is missing was dropped to shrink the buffer."""
    assert got == sorted(set(got))
    assert set(got) <= set(expected)
    assert len(expected) - len(got) == jb.stats()["dropped"]


def played(outs) -> list[int]:
    """Labels of the frames played as audio in the last drive()."""
    return [label(o) for o, kind in zip(outs, drive.kinds) if kind == "audio"]


def test_in_order_plays_every_frame_once_after_buffering(jitter):
    jb = jitter.JitterBuffer(rate=8000, ptime_ms=20)
    outs = drive(jb, stream(40), 45)
    assert played(outs) == list(range(40))
    assert outs[0] == bytes(320) and drive.kinds[0] == "silence"  # buffering the start, not concealing
    s = jb.stats()
    assert (s["received"], s["played"], s["late"], concealed()) == (40, 40, 0, 0)
    assert 15 <= s["mean_delay_ms"] <= 60


def test_reordered_packets_are_played_in_order(jitter):
    jb = jitter.JitterBuffer()
    pkts = stream(40)
    for a, b in ((5, 6), (20, 22)):  # b arrives before a, both well within the buffer
        pkts[a] = (pkts[b][0] + 0.001,) + pkts[a][1:]
    assert played(drive(jb, pkts, 45)) == list(range(40))
    assert jb.stats()["late"] == 0 and concealed() == 0


def test_duplicates_are_counted_and_played_once(jitter):
    jb = jitter.JitterBuffer()
    pkts = stream(30)
    pkts += [(pkts[10][0] + 0.002,) + pkts[10][1:], (pkts[3][0] + 0.2,) + pkts[3][1:]]  # 2nd: after playout
    assert played(drive(jb, pkts, 35)) == list(range(30))
    s = jb.stats()
    assert (s["duplicates"], s["received"], s["late"]) == (2, 30, 0)


def test_sequence_and_timestamp_wrap(jitter):
    jb = jitter.JitterBuffer()
    pkts = stream(40, seq0=65530, ts0=2**32 - 160 * 7)
    assert played(drive(jb, pkts, 45)) == list(range(40))
    assert jb.stats()["restarts"] == 0


def test_late_packet_is_concealed_then_counted_late(jitter):
    jb = jitter.JitterBuffer()
    pkts = stream(60, payload=tone)
    pkts[30] = (pkts[30][0] + 0.3,) + pkts[30][1:]  # 300 ms late: long after its turn
    outs = drive(jb, pkts, 65)
    s = jb.stats()
    assert s["late"] == 1 and concealed() == 1 and s["played"] == 59
    # The concealment continues the 200 Hz tone instead of going silent.
    conceal = outs[drive.kinds.index("concealed")]
    assert max(abs(x) for x in array("h", conceal)) > 4000


def test_loss_is_concealed_and_fades_out(jitter):
    jb = jitter.JitterBuffer()
    outs = drive(jb, stream(60, payload=tone, skip=range(20, 30)), 65)
    assert concealed() == 10 and jb.stats()["late"] == 0
    peaks = [max(abs(x) for x in array("h", o)) for o in outs]
    first = drive.kinds.index("concealed")
    gap = peaks[first:first + 10]
    assert drive.kinds[first:first + 10] == ["concealed"] * 10
    assert gap[0] > 4000 and gap[-1] == 0 and gap == sorted(gap, reverse=True)
    assert drive.kinds[first + 10] == "audio" and peaks[first + 11] > 7000  # back to the real tone


def test_restart_with_new_sequence_and_timestamp(jitter):
    jb = jitter.JitterBuffer()
    first = stream(25)
    second = [(25 * PTIME + k * PTIME + 0.005, (40000 + k) & 0xFFFF, (123456789 + 160 * k), frame_of(100 + k))
              for k in range(25)]
    got = played(drive(jb, first + second, 55))
    assert_in_order(got, list(range(25)) + [100 + k for k in range(25)], jb)
    assert got[:25] == list(range(25)) and got[-1] == 124
    assert jb.stats()["restarts"] == 1 and jb.stats()["late"] == 0


def test_bursts_of_four_frames(jitter):
    """A serial card delivering 80 ms at once: nothing late once it has adapted, delay ~ the burst."""
    jb = jitter.JitterBuffer()
    pkts = stream(300, delay=lambda k: (3 - k % 4) * PTIME + 0.002)
    got = played(drive(jb, pkts, 310))
    assert_in_order(got, list(range(300)), jb)
    assert jb.stats()["late"] == 0 and concealed() == 0
    assert 30 <= jb.stats()["mean_delay_ms"] <= 90


def test_a_delay_step_is_followed(jitter):
    rng = random.Random(1)
    jb = jitter.JitterBuffer()
    pkts = stream(1000, delay=lambda k: 0.01 + rng.uniform(0, 0.01) + (0.15 if k >= 300 else 0.0))
    drive(jb, pkts, 1020)
    s = jb.stats()
    assert s["late"] <= 25            # the packets in flight when the step happened, and little more
    assert s["expanded"] >= 7         # grew by the 150 ms
    assert s["delay_ms"] <= 40        # and what it adds is back to the jitter, not the step


@pytest.mark.parametrize("drift", [+0.001, -0.001])
def test_clock_drift_is_absorbed(jitter, drift):
    """Sender clock 0.1 % off for 100 s: delay stays bounded, a frame is dropped/inserted per ~20 s."""
    rng = random.Random(2)
    jb = jitter.JitterBuffer()
    n = 5000
    pkts = stream(n, delay=lambda k: k * PTIME * drift + 0.01 + rng.uniform(0, 0.005))
    drive(jb, pkts, n + 30)
    s = jb.stats()
    assert s["late"] <= 0.01 * n and concealed() <= 0.01 * n
    assert s["delay_ms"] <= 80
    if drift > 0:   # packets come slower than we play: the buffer inserts about 100 ms in 100 s
        assert 2 <= s["expanded"] - s["dropped"] <= 10
    else:           # they come faster: it drops about 100 ms
        assert 2 <= s["dropped"] - s["expanded"] <= 10


def test_shrinks_after_a_jitter_spike_goes_away(jitter):
    rng = random.Random(3)
    jb = jitter.JitterBuffer()
    spike = range(200, 260)
    pkts = stream(3000, delay=lambda k: 0.01 + (rng.uniform(0, 0.2) if k in spike else rng.uniform(0, 0.005)),
                  payload=lambda k: frame_of(k) if k % 50 < 40 else bytes(320))  # pauses to shrink in
    drive(jb, pkts, 3020)
    s = jb.stats()
    assert s["dropped"] >= 3
    assert s["delay_ms"] <= 60


def test_put_validates_the_frame_size(jitter):
    jb = jitter.JitterBuffer(rate=16000)
    with pytest.raises(ValueError, match="640 bytes"):
        jb.put(0, 0, bytes(320), 0.0)
    with pytest.raises(ValueError, match="rate"):
        jitter.JitterBuffer(rate=44100)
    assert jb.get(0.0) == bytes(640)  # nothing yet: silence


def test_compiled_and_reference_agree_sample_for_sample():
    from cython_ext import kernel

    rng = random.Random(7)
    pkts = []
    for k in range(1500):
        if rng.random() < 0.03:
            continue
        delay = 0.01 + rng.paretovariate(2.5) * 0.005 + (0.1 if 500 <= k < 900 else 0.0)
        pkts.append((k * PTIME * 1.001 + delay, k & 0xFFFF, (4_000_000_000 + 160 * k) & 0xFFFFFFFF, tone(k)))
    results = []
    for impl in ("c", "py"):
        jb = kernel("jitter", impl).JitterBuffer()
        outs = drive(jb, pkts, 1520)
        results.append((outs, list(drive.kinds), jb.stats()))
    assert results[0][2]["reanchored"] == 2   # the trace's step up and step down both re-anchor
    assert results[0][1] == results[1][1]
    assert results[0][0] == results[1][0]
    assert results[0][2] == pytest.approx(results[1][2])


# -- loss is not lateness; level shifts are followed at once (aiortc-style hand-made traces) ------------


def run_ticks(jb, packets, ticks: int, tick: float = PTIME):
    """Like drive(), but returns the stats after every tick (target, delay, counters)."""
    packets = sorted(packets, key=lambda p: p[0])
    stats, i = [], 0
    for k in range(ticks):
        now = k * tick + 0.0073
        while i < len(packets) and packets[i][0] <= now:
            arrival, seq, ts, payload = packets[i]
            jb.put(seq, ts, payload, arrival)
            i += 1
        jb.get(now)
        stats.append(jb.stats())
    return stats


def test_a_burst_of_losses_does_not_grow_the_target(jitter):
    """Ten frames lost at once, then bursts of 3 every second: concealed, never waited for, and the
    target and the added delay stay what they are without the losses."""
    rng = random.Random(4)
    jitter_of = [0.02 + rng.uniform(0, 0.02) for _ in range(1000)]
    lost = set(range(300, 310)) | {k for k in range(400, 1000) if k % 50 < 3}
    runs = {}
    for name, skip in (("clean", ()), ("lossy", lost)):
        jb = jitter.JitterBuffer()
        runs[name] = run_ticks(jb, stream(1000, delay=lambda k: jitter_of[k], skip=skip), 1000)
    clean, lossy = runs["clean"], runs["lossy"]
    assert lossy[-1]["late"] == 0 and lossy[-1]["concealed"] >= len(lost) - 2
    assert lossy[-1]["expanded"] == clean[-1]["expanded"] == 0     # never grew while waiting for them
    for t in (299, 320, 600, 999):                                 # before, right after, later, end
        assert lossy[t]["target_ms"] == pytest.approx(clean[t]["target_ms"], abs=1.0)
    assert lossy[-1]["mean_delay_ms"] == pytest.approx(clean[-1]["mean_delay_ms"], abs=0.5)
    assert lossy[-1]["reanchored"] == 0


def test_a_delay_step_up_is_followed_within_a_few_frames(jitter):
    """+150 ms at frame 300: the frames in flight (7.5 frames' worth) come late, the third late arrival
    moves the target up at once, and from then on nothing more is late."""
    rng = random.Random(5)
    jb = jitter.JitterBuffer()
    pkts = stream(800, delay=lambda k: 0.02 + rng.uniform(0, 0.01) + (0.15 if k >= 300 else 0.0))
    st = run_ticks(jb, pkts, 820)
    assert st[299]["reanchored"] == 0 and st[-1]["reanchored"] == 1
    assert st[-1]["late"] <= 10                     # 7.5 frames in flight + the 3 it takes to be sure
    first_late = next(t for t, s in enumerate(st) if s["late"])
    settled = next(t for t, s in enumerate(st) if s["reanchored"])
    assert settled - first_late <= 3                # re-anchored on the third late arrival
    assert st[settled + 10]["late"] == st[-1]["late"]  # grown by the step within 10 frames, no loss after
    assert st[-1]["expanded"] - st[299]["expanded"] in range(7, 10)
    assert st[-1]["delay_ms"] <= 40                 # what it adds is the jitter again, not the step


def test_a_delay_step_down_is_followed_within_a_second(jitter):
    """-150 ms at frame 300: forgetting alone would keep the old target for ~14 s; the run of early
    frames re-anchors it after 25 of them and the buffer then shrinks by the step."""
    rng = random.Random(6)
    jb = jitter.JitterBuffer()
    pkts = stream(800, delay=lambda k: 0.02 + rng.uniform(0, 0.01) + (0.15 if k < 300 else 0.0),
                  payload=lambda k: frame_of(k) if k % 25 < 20 else bytes(320))  # talk with pauses to shrink in
    st = run_ticks(jb, pkts, 820)
    assert st[299]["delay_ms"] <= 40 and st[299]["reanchored"] == 0
    assert st[312]["delay_ms"] >= 150                                # the early frames wait for their turn
    assert st[-1]["reanchored"] == 1 and st[-1]["late"] == 0
    assert all(s["delay_ms"] <= 40 for s in st[300 + 60:])        # within 60 frames (1.2 s) of the step
    assert st[-1]["dropped"] - st[299]["dropped"] in range(6, 10)  # shrunk by the 150 ms


def test_reordering_and_a_heavy_tail_do_not_re_anchor(jitter):
    """Runs of ordinary delays between rare late ones are not a level shift."""
    rng = random.Random(7)
    jb = jitter.JitterBuffer()
    pkts = stream(3000, delay=lambda k: 0.02 + min(1.0, (rng.paretovariate(2.5) - 1) * 0.005)
                  + (rng.randint(1, 3) * PTIME if rng.random() < 0.05 else 0.0))
    st = run_ticks(jb, pkts, 3020)
    assert st[-1]["reanchored"] == 0
    assert st[-1]["late"] <= 0.04 * 3000
