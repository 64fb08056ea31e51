"""Analog lines' cost: the serial threads' CPU per channel, and the media tick with modems in calls.

    .venv/bin/python bench/serial_lines.py [--lines 4] [--seconds 10] [--dialect conexant]

A real pjsua2 endpoint (null sound device) and the media hub run as in the engine. Phase 1: the hub
carries `--lines` bridged pairs of plain hub legs (no modem) for `--seconds`; its tick histogram
(`MediaHub.tick_stats`) gives p50/p99/max. Phase 2: as many simulated V.253 modems behind real
ptys, each a SerialLine thread with its driver, a call answered on each, both directions streaming
(full duplex; the simulator's tone in 60 ms bursts), each line's TdmPort attached to a hub leg
joined in a conference with another hub leg: the tick again, and each line thread's CPU time
(`time.thread_time` inside the thread, so the simulators' own CPU is not counted) per second of
call, i.e. the serial CPU per channel. The simulators run in this process and share its GIL, which
makes the figures pessimistic for the box (there the modem is hardware).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pjsua2 as pj  # noqa: E402

from cython_ext.pjport import MediaHub  # noqa: E402
from firmware.cards.modem_sim import ModemSimulator  # noqa: E402
from firmware.cards.serial_link import SerialLine  # noqa: E402
from firmware.cards.tdm_media import PjTdmMedia  # noqa: E402
from firmware.cards.v253_driver import Answered, CallOffered, LineUp, V253Driver  # noqa: E402


def endpoint() -> pj.Endpoint:
    from tests.support.pjsua import null_sound_endpoint
    return null_sound_endpoint()


def wait_for(link: SerialLine, kind, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event in link.take_events():
            if isinstance(event, kind):
                return event
        time.sleep(0.01)
    raise RuntimeError(f"{link.device}: no {kind.__name__}")


def pairs_in_conferences(hub: MediaHub, n: int) -> list[int]:
    legs = []
    for i in range(n):
        conference = hub.conference()
        a, b = hub.add_leg(f"a{i}"), hub.add_leg(f"b{i}")
        hub.join(a, conference, "customer")
        hub.join(b, conference, "agent")
        legs += [a, b]
    return legs


def tick(hub: MediaHub, seconds: float) -> dict:
    hub.tick_stats(reset=True)
    time.sleep(seconds)
    return hub.tick_stats()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--dialect", default="conexant")
    args = parser.parse_args()
    ep = endpoint()
    hub = MediaHub(rate=8000)
    baseline = pairs_in_conferences(hub, args.lines)
    without = tick(hub, args.seconds)
    for leg in baseline:
        hub.remove_leg(leg)

    folder = Path(tempfile.mkdtemp(prefix="serial-bench-"))
    sims, links, medias = [], [], []
    for i in range(args.lines):
        sim = ModemSimulator(folder / f"tty{i}", args.dialect).start()
        sim.tone(700 + 100 * i)
        media = PjTdmMedia(f"line{i}")
        driver = V253Driver(f"line{i}", hear=media.feed, say=media.take)
        link = SerialLine(str(sim.link), driver)
        link.start()
        wait_for(link, LineUp)
        sims.append(sim)
        links.append(link)
        medias.append(media)
    for i, (sim, link, media) in enumerate(zip(sims, links, medias)):
        sim.ring(f"07012345{i:02d}")
        wait_for(link, CallOffered)
        link.request("answer")
        wait_for(link, Answered)
        conference = hub.conference()
        line_leg, far_leg = hub.add_leg(f"line{i}"), hub.add_leg(f"far{i}")
        hub.attach(line_leg, media.slot)
        hub.join(line_leg, conference, "customer")
        hub.join(far_leg, conference, "agent")
    time.sleep(1.0)                                   # voice data flowing both ways
    cpu_before = [link.busy_seconds for link in links]
    bytes_before = [link.counts["read_bytes"] + link.counts["written_bytes"] for link in links]
    started = time.monotonic()
    with_modems = tick(hub, args.seconds)
    elapsed = time.monotonic() - started
    cpu = [(link.busy_seconds - before) / elapsed for link, before in zip(links, cpu_before)]
    traffic = [(link.counts["read_bytes"] + link.counts["written_bytes"] - before) / elapsed
               for link, before in zip(links, bytes_before)]
    jitter = [media.port.stats() for media in medias]
    result = {
        "lines": args.lines, "seconds": args.seconds, "dialect": args.dialect,
        "tick_without": {k: without.get(k) for k in ("ticks", "p50_ms", "p99_ms", "max_ms")},
        "tick_with_modems": {k: with_modems.get(k) for k in ("ticks", "p50_ms", "p99_ms", "max_ms")},
        "serial_cpu_per_channel_percent": [round(100 * c, 2) for c in cpu],
        "serial_bytes_per_second_per_channel": [round(t) for t in traffic],
        "jitter": [{k: round(j[k], 1) for k in ("received", "late", "concealed", "mean_delay_ms")} for j in jitter],
    }
    print(json.dumps(result, indent=2))
    for link in links:
        link.stop(settle=0.0)
    for sim in sims:
        sim.stop()
    for media in medias:
        media.close()
    hub.close()
    import gc
    gc.collect()
    ep.libDestroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
