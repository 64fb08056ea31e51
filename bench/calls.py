#!/usr/bin/env python3
"""Benchmark: SIPp trunk calls through the queue to registered SIPp agents, with RTP, on this machine.

    .venv/bin/python bench/calls.py [--calls 200] [--rate 50] [--hold 40] [--json]     (or: make bench)

What it does (docs/benchmarks.md has the results and how to read them):
 1. starts the whole box (`callbox run`: kamailio, engine, web) in a temporary data directory and
    configures through the REST API N agents (extensions 2000..), one queue with all of them as
    members, logged in, a peer trunk for the SIPp trunk's address:port and a DID route;
 2. registers the N agents with digest auth at the edge (bench/sipreg.py), each from its own
    loopback address, all with their Contact on ONE SIPp UAS (bench/sipp/agent_uas_loop.xml), and
    checks kamailio's location table;
 3. concurrency phase: --calls trunk calls at --rate calls/s, each held --hold s after the answer,
    RTP both ways all along (bench/sipp/trunk_uac_loop.xml replays the G.711 pcap in a loop); once
    every call is bridged it measures CPU and memory for --window s, then captures the RTP on lo
    with tcpdump for another --window s (engine-sent streams: sequence gaps, packet rate; the
    kernel's drop counters of the engine's sockets and of the capture itself); in both windows the
    media tick (interval between the engine's mixes, `media_stats` on the engine socket);
 4. setup-rate phase: --rate calls/s sustained for --setup-seconds, each call --setup-hold s long
    (welcome prompt, queue, agent, bridge, recording, hang-up);
 5. prints a table (with --json also the raw numbers), the CDR outcomes from the store and the
    verdict on each target; the exit status is 0 only if every target is met.

One trunk on 127.0.0.1 carries all calls by default (the edge exempts configured trunk addresses
from its flood bans). `--trunk-cps N` spreads the calls over several trunks on 127.0.0.2, .3, ...
of at most N calls/s each, as several providers would.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from bench import overload  # noqa: E402
from bench.sipreg import Phone, register_all, source_address  # noqa: E402
from tests.integration.box import Box  # noqa: E402
from tests.support.ports import free_port, wait_udp_bound  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent / "sipp"
PCAP_CYCLE_MS = 7080          # g711a.pcap is 7.05 s long; one replay every 7.08 s
WELCOME_S = 2.6               # the welcome prompt every call hears before it is queued
DID = "4930100"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- processes: CPU and memory from /proc -------------------------------------------------------

def _stat_fields(path: str) -> list[str] | None:
    try:
        raw = open(path).read()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()      # from the state field on


def cpu_ticks(pid: int) -> int:
    f = _stat_fields(f"/proc/{pid}/stat")
    return int(f[11]) + int(f[12]) if f else 0


def thread_ticks(pid: int) -> dict[int, tuple[str, int]]:
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        f = _stat_fields(f"/proc/{pid}/task/{tid}/stat")
        if f is None:
            continue
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except OSError:
            comm = "?"
        out[int(tid)] = (comm, int(f[11]) + int(f[12]))
    return out


def rss_kb(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(root: int) -> list[int]:
    """root and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = _stat_fields(f"/proc/{entry}/stat")
            if f:
                parents.setdefault(int(f[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def all_processes() -> dict[int, tuple[str, int]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            f = raw[raw.rindex(")") + 2:].split()
            out[int(entry)] = (raw[raw.index("(") + 1:raw.rindex(")")], int(f[11]) + int(f[12]))
    return out


def system_ticks() -> tuple[int, int]:
    """(busy, total, steal, softirq) jiffies of all CPUs."""
    parts = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return total - idle, total, parts[7], parts[6]


@dataclass
class CpuSample:
    t: float
    engine: int
    engine_threads: dict[int, tuple[str, int]]
    kamailio: dict[int, int]
    others: dict[str, int]
    system: tuple[int, int, int, int]
    everyone: dict[int, tuple[str, int]]
    box_pids: set
    generator_pids: set


class Meter:
    """CPU counters of the engine, every kamailio process and the load generators."""

    def __init__(self, box: Box):
        self.box = box
        self.engine_pid = box.engine_pid()
        kam = box.supervisorctl("pid", "kamailio").strip()
        self.kamailio_pid = int(kam) if kam.isdigit() else None
        self.extra: dict[str, list[int]] = {}     # name -> pids (SIPp, tcpdump) to account too
        self.box_root = box.process.pid if box.process else None

    def kamailio_pids(self) -> list[int]:
        return process_tree(self.kamailio_pid) if self.kamailio_pid else []

    def sample(self) -> CpuSample:
        box = process_tree(self.box_root) if self.box_root else []
        generators = [os.getpid()] + [p for pids in self.extra.values() for p in pids]
        return CpuSample(time.monotonic(), cpu_ticks(self.engine_pid), thread_ticks(self.engine_pid),
                         {p: cpu_ticks(p) for p in self.kamailio_pids()},
                         {name: sum(cpu_ticks(p) for p in pids) for name, pids in self.extra.items()},
                         system_ticks(), all_processes(), set(box), set(generators))

    @staticmethod
    def between(a: CpuSample, b: CpuSample) -> dict:
        seconds = b.t - a.t
        pct = lambda ticks: round(100.0 * ticks / CLK_TCK / seconds, 1)   # noqa: E731
        threads = {}
        for tid, (comm, ticks) in b.engine_threads.items():
            used = ticks - a.engine_threads.get(tid, (comm, 0))[1]
            threads[f"{comm}/{tid}"] = pct(used)
        kam = sum(t - a.kamailio.get(p, 0) for p, t in b.kamailio.items())
        busy = b.system[0] - a.system[0]
        total = b.system[1] - a.system[1]
        by_name: dict[str, int] = {}
        for pid, (comm, ticks) in b.everyone.items():
            by_name[comm] = by_name.get(comm, 0) + ticks - a.everyone.get(pid, (comm, 0))[1]
        top = sorted(by_name.items(), key=lambda kv: -kv[1])[:8]
        group = lambda pids: sum(t - a.everyone.get(p, ("", 0))[1]   # noqa: E731
                                 for p, (_, t) in b.everyone.items() if p in pids)
        box_ticks = group(b.box_pids | a.box_pids)
        gen_ticks = group(b.generator_pids | a.generator_pids)
        return {
            "seconds": round(seconds, 1),
            "top_processes_pct": {name: pct(t) for name, t in top if t > 0},
            "engine_cpu_pct": pct(b.engine - a.engine),
            "engine_threads_pct": dict(sorted(threads.items(), key=lambda kv: -kv[1])[:6]),
            "kamailio_cpu_pct": pct(kam),
            "others_cpu_pct": {n: pct(b.others.get(n, 0) - a.others.get(n, 0)) for n in b.others},
            "machine_busy_pct_of_all_cores": round(100.0 * busy / total, 1) if total else None,
            "machine_steal_pct_of_all_cores": round(100.0 * (b.system[2] - a.system[2]) / total, 1) if total else None,
            # The same in units of one core, split: the box (supervisord, kamailio, engine, web), the
            # load generators (SIPp, tcpdump, this script), and everything else on the machine
            # (other users' work, the kernel's softirq time, processes that ended in the window).
            "box_cpu_pct": pct(box_ticks),
            "generators_cpu_pct": pct(gen_ticks),
            # Softirq time (on lo: delivering the packets a process sends) is also in that
            # process's own system time: a part of the figures above, not an addition.
            "softirq_cpu_pct": round(100.0 * (b.system[3] - a.system[3]) / total * (os.cpu_count() or 1), 1)
            if total else None,
            "other_cpu_pct": round(100.0 * busy / total * (os.cpu_count() or 1) - pct(box_ticks) - pct(gen_ticks), 1)
            if total else None,
        }

    def memory(self) -> dict:
        kpids = self.kamailio_pids()
        return {"engine_rss_kb": rss_kb(self.engine_pid),
                "kamailio_processes": len(kpids),
                "kamailio_rss_kb": sum(rss_kb(p) for p in kpids),
                "kamailio_pss_kb": sum(pss_kb(p) for p in kpids)}


# --- the engine's UDP sockets (RTP), with the kernel's per-socket drop counters -----------------

def udp_sockets_of(pid: int) -> dict[int, tuple[int, int, int]]:
    """{local port: (inode, drops, rx_queue bytes)} of the UDP sockets the process holds."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        return {}
    out = {}
    for line in open("/proc/net/udp").read().splitlines()[1:]:
        f = line.split()
        inode = int(f[9])
        if inode in inodes:
            port = int(f[1].rsplit(":", 1)[1], 16)
            rx_queue = int(f[4].split(":")[1], 16)
            out[port] = (inode, int(f[12]), rx_queue)
    return out


def bound_udp_ports() -> set[int]:
    ports = set()
    for line in open("/proc/net/udp").read().splitlines()[1:]:
        ports.add(int(line.split()[1].rsplit(":", 1)[1], 16))
    return ports


# --- RTP capture and analysis ---------------------------------------------------------------------

class RtpCapture:
    """tcpdump on lo, headers only (snaplen 80), a big kernel buffer; the kernel's drop count
    comes from tcpdump's own report at exit."""

    def __init__(self, ports: list[int], workdir: Path):
        self.path = workdir / "rtp.pcap"
        self.errpath = workdir / "tcpdump.err"
        expression = "udp and (" + " or ".join(f"port {p}" for p in ports) + ")"
        self.err = open(self.errpath, "w+")
        self.proc = subprocess.Popen([shutil.which("tcpdump") or "/usr/bin/tcpdump", "-i", "lo", "-n",
                                      "-s", "80", "-B", "262144", "-w", str(self.path), expression],
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 10
        while "listening" not in self.errpath.read_text() and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tcpdump failed: {self.errpath.read_text()}")
            time.sleep(0.05)
        self.started = time.monotonic()

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        self.err.close()
        text = self.errpath.read_text()
        report = {"captured": None, "received_by_filter": None, "dropped_by_kernel": None}
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0].isdigit():
                n = int(words[0])
                if "captured" in line:
                    report["captured"] = n
                elif "received by filter" in line:
                    report["received_by_filter"] = n
                elif "dropped by kernel" in line:
                    report["dropped_by_kernel"] = n
        return report


ALAW_SILENCE = {0xD5, 0x55}


def read_rtp_headers(path: Path):
    """Yields (time, src port, dst port, seq, ssrc, silent) for each RTP/UDP/IPv4 packet of a pcap."""
    data = path.read_bytes()
    if len(data) < 24:
        return
    magic, = struct.unpack_from("<I", data, 0)
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError(f"{path}: not a little-endian pcap")
    nano = magic == 0xA1B23C4D
    linktype, = struct.unpack_from("<I", data, 20)
    link_len = {1: 14, 113: 16, 0: 4, 101: 0}[linktype]
    offset, end = 24, len(data)
    unpack_rec, unpack_ports = struct.Struct("<IIII").unpack_from, struct.Struct("!HH").unpack_from
    unpack_seq = struct.Struct("!HII").unpack_from
    while offset + 16 <= end:
        sec, frac, caplen, _ = unpack_rec(data, offset)
        start = offset + 16
        offset = start + caplen
        ip = start + link_len
        if data[ip] >> 4 != 4 or data[ip + 9] != 17:
            continue
        udp = ip + (data[ip] & 0x0F) * 4
        rtp = udp + 8
        if rtp + 12 > offset or data[rtp] >> 6 != 2:
            continue
        src, dst = unpack_ports(data, udp)
        seq, _ts, ssrc = unpack_seq(data, rtp + 2)
        payload = data[rtp + 12 + 4 * (data[rtp] & 0x0F):offset]
        silent = bool(payload) and all(b in ALAW_SILENCE for b in payload)
        yield sec + frac / (1e9 if nano else 1e6), src, dst, seq, ssrc, silent


@dataclass
class Stream:
    packets: int = 0
    first_t: float = 0.0
    last_t: float = 0.0
    max_gap_s: float = 0.0
    ext_first: int | None = None
    ext_max: int = 0
    ext_last: int = 0
    seen: set = field(default_factory=set)
    out_of_order: int = 0
    duplicates: int = 0
    silent: int = 0

    def add(self, t: float, seq: int, silent: bool) -> None:
        if self.ext_first is None:
            self.ext_first = self.ext_max = self.ext_last = seq
            self.first_t = t
        else:
            delta = (seq - (self.ext_last & 0xFFFF)) & 0xFFFF
            if delta >= 0x8000:
                delta -= 0x10000
            ext = self.ext_last + delta
            if ext in self.seen:
                self.duplicates += 1
            if ext < self.ext_max:
                self.out_of_order += 1
            self.ext_last = ext
            self.ext_max = max(self.ext_max, ext)
            self.max_gap_s = max(self.max_gap_s, t - self.last_t)
        self.seen.add(self.ext_last)
        self.last_t = t
        self.packets += 1
        self.silent += silent

    @property
    def lost(self) -> int:
        return (self.ext_max - self.ext_first + 1) - len(self.seen)


def analyse_rtp(path: Path, engine_ports: set[int], window_s: float) -> dict:
    out_streams: dict[tuple, Stream] = {}    # engine -> phones/trunks, by (src, dst, ssrc)
    in_streams: dict[tuple, Stream] = {}     # phones/trunks -> engine, by (src, dst)
    t0 = t1 = None
    other = 0
    for t, src, dst, seq, ssrc, silent in read_rtp_headers(path):
        t0 = t if t0 is None else t0
        t1 = t
        if src in engine_ports:
            out_streams.setdefault((src, dst, ssrc), Stream()).add(t, seq, silent)
        elif dst in engine_ports:
            s = in_streams.setdefault((src, dst), Stream())
            if not s.packets:
                s.first_t = t
            s.last_t = t
            s.packets += 1
        else:
            other += 1
    span = (t1 - t0) if t0 is not None else 0.0
    outs = list(out_streams.values())
    full = [s for s in outs if s.last_t - s.first_t > 0.8 * span]
    rates = sorted(s.packets / (s.last_t - s.first_t) for s in full if s.last_t > s.first_t)
    gaps = sorted(s.max_gap_s for s in outs)
    in_rates = [s.packets / (s.last_t - s.first_t) for s in in_streams.values()
                if s.last_t - s.first_t > 0.8 * span]
    return {
        "capture_seconds": round(span, 2),
        "engine_out_streams": len(outs),
        "engine_out_packets": sum(s.packets for s in outs),
        "engine_out_lost_by_seq": sum(s.lost for s in outs),
        "engine_out_streams_with_loss": sum(1 for s in outs if s.lost),
        "engine_out_duplicates": sum(s.duplicates for s in outs),
        "engine_out_reordered": sum(s.out_of_order for s in outs),
        "engine_out_pps_per_stream_min": round(rates[0], 1) if rates else None,
        "engine_out_pps_per_stream_median": round(statistics.median(rates), 1) if rates else None,
        "engine_out_max_interpacket_gap_ms": round(1000 * gaps[-1], 1) if gaps else None,
        "engine_out_p99_stream_max_gap_ms": round(1000 * gaps[int(0.99 * (len(gaps) - 1))], 1) if gaps else None,
        "engine_out_nonsilent_pct": round(100 * (1 - sum(s.silent for s in outs) / max(1, sum(s.packets for s in outs))), 1),
        "engine_in_pps_per_stream_min": round(min(in_rates), 1) if in_rates else None,
        "engine_in_streams": len(in_streams),
        "engine_in_packets": sum(s.packets for s in in_streams.values()),
        "unmatched_packets": other,
    }


# --- SIPp --------------------------------------------------------------------------------------

def _sipp_time(value: str) -> float | None:
    """SIPp's stats times: 'HH:MM:SS:uuuuuu' (or with a ms part) -> seconds."""
    try:
        parts = value.split(":")
        if len(parts) == 4:
            h, m, s, us = parts
            return int(h) * 3600 + int(m) * 60 + int(s) + int(us) / 10 ** len(us)
        if len(parts) == 3:
            h, m, s = parts
            return int(h) * 3600 + int(m) * 60 + float(s)
        return float(value)
    except (ValueError, AttributeError):
        return None


class Sipp:
    def __init__(self, name: str, scenario: str, workdir: Path, *, local_ip: str, port: int, media_port: int,
                 calls: int, timeout: float, remote: str | None = None, rate: float | None = None,
                 service: str | None = None, sets: dict[str, str] | None = None, duration_ms: int | None = None,
                 bind_local: bool = False, extra: tuple[str, ...] = ()):
        self.name, self.workdir = name, workdir
        self.stats_path = workdir / f"{name}.stats.csv"
        self.errors_path = workdir / f"{name}.errors.log"
        self.screen_path = workdir / f"{name}.screen.txt"
        argv = [shutil.which("sipp") or "/usr/bin/sipp"]
        if remote:
            argv.append(remote)
        argv += ["-sf", str(SCENARIOS / scenario), "-i", local_ip, "-mi", "127.0.0.1",
                 "-p", str(port), "-mp", str(media_port), "-m", str(calls), "-nostdin",
                 "-timeout", f"{timeout:.0f}s", "-timeout_error",
                 "-trace_err", "-error_file", str(self.errors_path),
                 "-trace_stat", "-stf", str(self.stats_path), "-fd", "1",
                 "-buff_size", str(4 * 1024 * 1024)]
        if rate is not None:
            argv += ["-r", f"{rate:g}", "-l", str(calls)]
        if service:
            argv += ["-s", service]
        for k, v in (sets or {}).items():
            argv += ["-set", k, v]
        if duration_ms is not None:
            argv += ["-d", str(duration_ms)]
        if bind_local:
            argv.append("-bind_local")
        argv += list(extra)
        self.argv = argv
        self.port = port
        with open(self.screen_path, "wb") as screen:
            self.proc = subprocess.Popen(argv, stdout=screen, stderr=subprocess.STDOUT, cwd=workdir,
                                         stdin=subprocess.DEVNULL)
        try:
            wait_udp_bound(port, timeout=5)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"SIPp {name} did not start: {self.screen_path.read_text()[-2000:]}") from None

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return self.proc.returncode

    def finish(self, timeout: float) -> int:
        """Asks SIPp to place or take no new call and to exit once its calls have ended (SIGUSR1)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
        return self.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stats(self) -> dict:
        try:
            rows = [r.split(";") for r in self.stats_path.read_text().splitlines() if r.strip()]
        except FileNotFoundError:
            return {}
        if len(rows) < 2:
            return {}
        row = dict(zip(rows[0], rows[-1]))
        # SIPp's own call rate: calls placed per second in each 1-s period while it was placing
        # calls, without the first and last (partial) periods.
        periods, last_t = [], None
        for r in rows[1:]:
            d = dict(zip(rows[0], r))
            try:
                placed = float(d["OutgoingCall(P)"])
                now = float(d["CurrentTime"].split("\t")[-1])     # "date<TAB>time<TAB>epoch"
            except (KeyError, ValueError):
                continue
            if placed > 0 and last_t is not None and now > last_t:
                periods.append(placed / (now - last_t))
            last_t = now
        periods = periods[1:-1] if len(periods) > 2 else periods

        def num(key):
            try:
                return float(row.get(key, ""))
            except ValueError:
                return None
        return {
            "created": num("TotalCallCreated"),
            "incoming": num("IncomingCall(C)"),
            "outgoing": num("OutgoingCall(C)"),
            "successful": num("SuccessfulCall(C)"),
            "failed": num("FailedCall(C)"),
            "call_rate": num("CallRate(C)"),
            "placing_rate_median": statistics.median(periods) if periods else None,
            "elapsed": _sipp_time(row.get("ElapsedTime(C)", "")),
            "response_time_avg_s": _sipp_time(row.get("ResponseTime1(C)", "")),
            "response_time2_avg_s": _sipp_time(row.get("ResponseTime2(C)", "")),
            "retransmissions": num("Retransmissions(C)"),
            "unexpected": num("FailedUnexpectedMessage(C)"),
            "timeouts": num("FailedCallTimeout(C)") if "FailedCallTimeout(C)" in row else None,
            "returncode": self.proc.returncode,
        }

    def errors(self, lines: int = 8) -> str:
        """SIPp's error log without the expected receive timeouts of the RTP replay loop."""
        try:
            text = self.errors_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        # SIPp writes its entries without newlines between them: split on the timestamp.
        entries = [e for e in text.replace("\t", " ").split("\n") if e.strip()]
        entries = [e for e in re.split(r"(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)", "\n".join(entries)) if e.strip()]
        wanted = [e.strip() for e in entries
                  if "jumping to label" not in e and e.strip() != "The following events occurred:"]
        return "\n".join(wanted[-lines:])


# --- the box and its configuration --------------------------------------------------------------

def pick_rtp_base(legs: int) -> int:
    """A block for the engine's RTP+RTCP ports below the kernel's ephemeral range."""
    need = 4 * legs + 400
    bound = bound_udp_ports()
    for base in range(20000, 32000 - need, 1000):
        if not bound.intersection(range(base, base + need)):
            return base
    return 20000


class Center:
    def __init__(self, box: Box, agents: int, trunk_sources: list[str]):
        self.box = box
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {box.token}"
        self.http = s
        self.uas_port = free_port()
        self.queue = self.post("/queues", {"name": "bench", "strategy": "longest-idle"})
        self.trunks = []
        for i, ip in enumerate(trunk_sources):
            port = free_port(ip)
            self.trunks.append({"ip": ip, "port": port, **self.post("/trunks", {
                "name": f"carrier{i + 1}", "type": "peer", "address": f"{ip}:{port}"})})
        self.post("/inbound-routes", {"did": DID, "queue_id": self.queue["id"]})
        self.agents = []
        for i in range(agents):
            ext = str(2000 + i)
            agent = self.post("/agents", {"name": f"Agent {ext}", "extension": ext,
                                          "sip_password": f"bench-pw-{ext}"})
            self.post(f"/queues/{self.queue['id']}/members", {"agent_id": agent["id"]})
            self.agents.append(agent)
        for agent in self.agents:
            r = self.http.post(self.box.url(f"/api/v1/agents/{agent['id']}/login"),
                               json={"queue_ids": [self.queue["id"]]}, timeout=10)
            r.raise_for_status()

    def post(self, path: str, body: dict) -> dict:
        r = self.http.post(self.box.url("/api/v1" + path), json=body, timeout=10)
        if r.status_code != 201:
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text}")
        return r.json()

    def register(self) -> tuple[int, list[str]]:
        phones = [Phone(a["extension"], f"bench-pw-{a['extension']}", f"127.0.0.1:{self.uas_port}",
                        source_address(i)) for i, a in enumerate(self.agents)]
        register_all(("127.0.0.1", self.box.sip_port), phones)
        ok = sum(1 for p in phones if p.status == 200 and p.expires)
        errors = [f"{p.user}: {p.status} {p.error}" for p in phones if not (p.status == 200 and p.expires)]
        return ok, errors


def kamailio_registered(box: Box) -> int | str:
    """usrloc's count of registered users (AoRs with a contact), via kamcmd on the edge's control socket."""
    sock = box.data / "run" / "kamailio_ctl"
    kamcmd = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
    if not sock.exists():
        return f"no control socket {sock}"
    out = subprocess.run([kamcmd, "-s", f"unix:{sock}", "stats.get_statistics", "usrloc:"],
                         capture_output=True, text=True, timeout=10)
    stats = dict(line.replace(" ", "").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    value = stats.get("usrloc:registered_users", "")
    return int(value) if value.isdigit() else f"kamcmd: {out.stdout.strip()} {out.stderr.strip()}"[:200]


def cdr_summary(db: Path, after_id: int) -> dict:
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM calls WHERE id > ? ORDER BY id", (after_id,)).fetchall()
    recs = {r["call_id"]: r for r in conn.execute("SELECT * FROM recordings WHERE call_id > ?", (after_id,))}
    conn.close()
    # The WAV files themselves: audio about as long as the talk time?
    rec_ok = rec_db_duration = 0
    for r in rows:
        rec = recs.get(r["id"])
        if rec is None or not r["talk_seconds"]:
            continue
        rec_db_duration += bool(rec["duration_seconds"])
        try:
            with wave.open(str(db.parent / rec["path"])) as w:
                seconds = w.getnframes() / w.getframerate()
        except (OSError, EOFError, wave.Error):
            continue
        rec_ok += seconds >= r["talk_seconds"] - 1.0
    outcomes: dict[str, int] = {}
    for r in rows:
        key = f"{r['outcome']}/{r['cause']}"
        outcomes[key] = outcomes.get(key, 0) + 1
    answered = [r for r in rows if r["answered_at"]]
    started = sorted(r["started_at"] for r in rows)
    answered_at = sorted(r["answered_at"] for r in answered)
    to_agent = sorted(r["answered_at"] - r["queued_at"] for r in answered if r["queued_at"])
    setup = sorted(r["answered_at"] - r["started_at"] for r in answered)

    def pct(values, q):
        return round(values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))], 3) if values else None
    return {
        "cdrs": len(rows),
        "outcomes": outcomes,
        "answered": sum(1 for r in rows if r["outcome"] == "answered"),
        "not_answered": sum(1 for r in rows if r["outcome"] != "answered"),
        "first_invite_to_last_bridged_s": round(answered_at[-1] - started[0], 2) if answered else None,
        "invite_span_s": round(started[-1] - started[0], 2) if len(started) > 1 else None,
        "invites_per_s_at_engine": round((len(started) - 1) / (started[-1] - started[0]), 1)
        if len(started) > 1 and started[-1] > started[0] else None,
        "bridges_per_s": round((len(answered_at) - 1) / (answered_at[-1] - answered_at[0]), 1)
        if len(answered_at) > 1 and answered_at[-1] > answered_at[0] else None,
        "queued_to_agent_answer_s_p50": pct(to_agent, 0.5),
        "queued_to_agent_answer_s_p95": pct(to_agent, 0.95),
        "queued_to_agent_answer_s_max": round(to_agent[-1], 3) if to_agent else None,
        "invite_to_bridge_s_p50": pct(setup, 0.5),
        "invite_to_bridge_s_max": round(setup[-1], 3) if setup else None,
        "recordings": len(recs), "recordings_with_audio": rec_ok,
        "recordings_with_duration_in_store": rec_db_duration,
    }


def max_call_id(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM calls").fetchone()[0]
    finally:
        conn.close()


class StatusPoller(threading.Thread):
    """Polls the engine's status: calls talking (bridged), calls alive, agents busy."""

    def __init__(self, box: Box, meter: Meter, interval: float = 0.5):
        super().__init__(daemon=True)
        self.box, self.meter, self.interval = box, meter, interval
        self.stop_event = threading.Event()
        self.samples: list[tuple[float, int, int, int]] = []
        self.peak_talking = self.peak_active = self.peak_busy = 0
        self.peak_rss_kb = 0
        self.talking = 0
        self.failures = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            status = self.box.engine_status()
            if status is None:
                self.failures += 1
            else:
                talking = sum(1 for c in status["calls"] if c["phase"] == "talking")
                busy = sum(1 for a in status["agents"] if a["state"] == "busy")
                active = status["active_calls"]
                self.talking = talking
                self.samples.append((time.monotonic(), talking, active, busy))
                self.peak_talking = max(self.peak_talking, talking)
                self.peak_active = max(self.peak_active, active)
                self.peak_busy = max(self.peak_busy, busy)
            self.peak_rss_kb = max(self.peak_rss_kb, rss_kb(self.meter.engine_pid))
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)


# --- phases -----------------------------------------------------------------------------------

@dataclass
class Ctx:
    box: Box
    center: Center
    meter: Meter
    workdir: Path
    args: argparse.Namespace
    memory_idle: dict


def start_calls(ctx: Ctx, name: str, calls: int, rate: float, hold_ms: int, timeout: float):
    """The agents' UAS (answers all `calls`) and one UAC per trunk, sharing calls and rate."""
    loops, last_ms = divmod(hold_ms, PCAP_CYCLE_MS)
    # The agents' SIPp takes any number of calls (-m would make it ignore INVITEs beyond the
    # count, e.g. when the engine rings an agent twice for one call); end_calls() stops it.
    uas = Sipp(f"{name}-agents", "agent_uas_loop.xml", ctx.workdir, local_ip="127.0.0.1", port=ctx.center.uas_port,
               media_port=free_port(span=3), calls=100 * calls, timeout=timeout)
    trunks = ctx.center.trunks
    uacs = []
    for i, trunk in enumerate(trunks):
        n = calls // len(trunks) + (1 if i < calls % len(trunks) else 0)
        if n == 0:
            continue
        uacs.append(Sipp(f"{name}-trunk{i + 1}", "trunk_uac_loop.xml", ctx.workdir, remote=f"127.0.0.1:{ctx.box.sip_port}",
                         local_ip=trunk["ip"], port=trunk["port"], media_port=free_port(span=3), calls=n,
                         rate=rate * n / calls, service=DID, sets={"loops": str(loops)}, duration_ms=last_ms,
                         timeout=timeout, bind_local=True))
    ctx.meter.extra = {"sipp": [uas.proc.pid] + [u.proc.pid for u in uacs]}
    return uas, uacs


def end_calls(ctx: Ctx, uas: Sipp, uacs: list[Sipp], timeout: float) -> None:
    """Waits for the trunks' calls to end, then for the engine to hold no call, then stops the agents' SIPp."""
    deadline = time.monotonic() + timeout
    for u in uacs:
        u.wait(max(1.0, deadline - time.monotonic()))
    quiet_by = time.monotonic() + 15
    while time.monotonic() < quiet_by:
        status = ctx.box.engine_status()
        if status is not None and status["active_calls"] == 0:
            break
        time.sleep(0.2)
    uas.finish(10)


def sipp_summary(uas: Sipp, uacs: list[Sipp]) -> dict:
    t = [u.stats() for u in uacs]
    a = uas.stats()
    total = lambda key: sum((s.get(key) or 0) for s in t)   # noqa: E731
    rts = [s["response_time_avg_s"] for s in t if s.get("response_time_avg_s") is not None]
    return {
        "trunk_calls_created": int(total("created")),
        "trunk_calls_successful": int(total("successful")),
        "trunk_calls_failed": int(total("failed")),
        "trunk_placing_rate_cps": round(total("placing_rate_median"), 1) if any(
            x.get("placing_rate_median") for x in t) else None,
        "trunk_invite_to_200_ms_avg": round(1000 * statistics.mean(rts), 1) if rts else None,
        "trunk_retransmissions": int(total("retransmissions")),
        "agent_calls_incoming": int(a.get("incoming") or 0),
        "agent_calls_successful": int(a.get("successful") or 0),
        "agent_calls_failed": int(a.get("failed") or 0),
        "sipp_exit_codes": [uas.proc.returncode] + [u.proc.returncode for u in uacs],
        "sipp_errors": "\n".join(filter(None, [uas.errors()] + [u.errors() for u in uacs]))[-3000:],
    }


def phase_setup(ctx: Ctx) -> dict:
    """Sustained call setup: --rate calls/s for --setup-seconds, each call short."""
    a = ctx.args
    calls = int(a.rate * a.setup_seconds)
    hold_ms = int(a.setup_hold * 1000)
    log(f"setup phase: {calls} calls at {a.rate}/s, {a.setup_hold} s each")
    first_id = max_call_id(ctx.box.data / "callbox.db")
    poller = StatusPoller(ctx.box, ctx.meter)
    poller.start()
    t0 = time.monotonic()
    uas, uacs = start_calls(ctx, "setup", calls, a.rate, hold_ms, timeout=a.setup_seconds + a.setup_hold + 60)
    # CPU while calls arrive at the full rate, after the first calls reached their agents and
    # before the trunks stop (their SIPp processes must still be alive to be counted).
    first = min(a.setup_seconds / 2, WELCOME_S + 1.0)
    time.sleep(first)
    c0 = ctx.meter.sample()
    time.sleep(max(1.0, a.setup_seconds - first - 0.5))
    c1 = ctx.meter.sample()
    end_calls(ctx, uas, uacs, a.setup_seconds + a.setup_hold + 90)
    elapsed = time.monotonic() - t0
    poller.stop()
    time.sleep(1.0)
    result = {"calls": calls, "rate_target": a.rate, "hold_s": a.setup_hold, "elapsed_s": round(elapsed, 1),
              **sipp_summary(uas, uacs), "peak_bridged": poller.peak_talking, "peak_active_calls": poller.peak_active,
              "cpu": Meter.between(c0, c1), "cdr": cdr_summary(ctx.box.data / "callbox.db", first_id)}
    return result


def media_stats(ctx: Ctx, reset: bool = False) -> dict:
    """The engine's media tick statistics (`MediaHub.tick_stats`) through its control socket."""
    from firmware.engine.client import EngineClient

    try:
        return EngineClient(ctx.box.data / "run" / "engine.sock").request("media_stats", reset=reset)
    except (ConnectionError, RuntimeError) as exc:
        log(f"media_stats: {exc}")
        return {"error": str(exc)}


def phase_concurrency(ctx: Ctx) -> dict:
    a = ctx.args
    calls, rate = a.calls, a.rate
    hold_ms = int(a.hold * 1000)
    ramp = calls / rate
    window = a.window
    spare = a.hold - ramp - WELCOME_S - 4
    if spare < 2 * window:
        window = max(2.0, spare / 2)
        log(f"hold {a.hold} s leaves {spare:.0f} s with every call bridged: windows shortened to {window:.1f} s")
    log(f"concurrency phase: {calls} calls at {rate}/s, held {a.hold} s")
    db = ctx.box.data / "callbox.db"
    first_id = max_call_id(db)
    mem_before = ctx.meter.memory()
    poller = StatusPoller(ctx.box, ctx.meter)
    poller.start()
    t0 = time.monotonic()
    uas, uacs = start_calls(ctx, "conc", calls, rate, hold_ms, timeout=a.hold + ramp + 90)
    result: dict = {"calls": calls, "rate_target": rate, "hold_s": a.hold, "window_s": window,
                    "memory_before": mem_before}

    # Every call bridged (or as many as we will get).
    deadline = t0 + ramp + WELCOME_S + 15
    while poller.talking < calls and time.monotonic() < deadline:
        time.sleep(0.2)
    all_bridged_at = time.monotonic() - t0
    result["all_bridged_after_s"] = round(all_bridged_at, 1) if poller.talking >= calls else None
    result["bridged_at_window_start"] = poller.talking
    time.sleep(0.5)

    # Window 1: CPU and memory, nothing else running. The media tick (interval between the hub's
    # mixes, timed in C by the engine) is measured in each window: reset at its start, read at its end.
    media_stats(ctx, reset=True)
    c0 = ctx.meter.sample()
    time.sleep(window)
    c1 = ctx.meter.sample()
    result["media_tick"] = media_stats(ctx, reset=True)
    result["cpu"] = Meter.between(c0, c1)
    result["memory_at_peak"] = ctx.meter.memory()
    result["bridged_after_cpu_window"] = poller.talking

    # Window 2: RTP capture.
    media_ports = [uas.argv[uas.argv.index("-mp") + 1]] + [u.argv[u.argv.index("-mp") + 1] for u in uacs]
    socks0 = udp_sockets_of(ctx.meter.engine_pid)
    cap = RtpCapture([int(p) for p in media_ports], ctx.workdir)
    ctx.meter.extra["tcpdump"] = [cap.proc.pid]
    c2 = ctx.meter.sample()
    time.sleep(window)
    c3 = ctx.meter.sample()
    result["media_tick_with_capture"] = media_stats(ctx)
    socks1 = udp_sockets_of(ctx.meter.engine_pid)
    capture_report = cap.stop()
    result["bridged_after_rtp_window"] = poller.talking
    result["cpu_during_capture"] = Meter.between(c2, c3)
    drops = sum(d1 - socks0[p][1] for p, (inode, d1, _) in socks1.items() if p in socks0 and socks0[p][0] == inode)
    result["engine_socket_drops_in_window"] = drops
    result["engine_udp_sockets"] = len(socks1)
    result["rtp_capture"] = capture_report

    # Let the calls end.
    end_calls(ctx, uas, uacs, a.hold + ramp + 120 - (time.monotonic() - t0))
    poller.stop()
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    result.update(sipp_summary(uas, uacs))
    result["peak_bridged"] = poller.peak_talking
    result["peak_agents_busy"] = poller.peak_busy
    result["peak_active_calls"] = poller.peak_active
    result["engine_peak_rss_kb"] = max(poller.peak_rss_kb, result["memory_at_peak"]["engine_rss_kb"])
    # Per bridged call: growth from the idle box (agents registered, no call yet) to the peak.
    bridged = max(1, poller.peak_talking)
    idle = ctx.memory_idle
    result["engine_rss_per_call_kb"] = round((result["engine_peak_rss_kb"] - idle["engine_rss_kb"]) / bridged, 1)
    result["kamailio_pss_per_call_kb"] = round(
        (result["memory_at_peak"]["kamailio_pss_kb"] - idle["kamailio_pss_kb"]) / bridged, 1)
    result["kamailio_rss_per_call_kb"] = round(
        (result["memory_at_peak"]["kamailio_rss_kb"] - idle["kamailio_rss_kb"]) / bridged, 1)
    log("analysing the RTP capture")
    engine_ports = set(socks0) | set(socks1)
    result["rtp"] = analyse_rtp(cap.path, engine_ports, window)
    time.sleep(1.0)
    result["cdr"] = cdr_summary(db, first_id)
    if not ctx.args.keep:
        cap.path.unlink(missing_ok=True)
    return result


# --- report -----------------------------------------------------------------------------------

def targets(report: dict) -> dict:
    conc = report.get("concurrency") or {}
    setup = report.get("setup") or {}
    rtp = conc.get("rtp") or {}
    cap = conc.get("rtp_capture") or {}
    failed = sum((p.get("trunk_calls_failed") or 0) + (p.get("agent_calls_failed") or 0)
                 + (p.get("cdr", {}).get("not_answered") or 0)
                 + max(0, (p.get("calls") or 0) - (p.get("trunk_calls_successful") or 0))
                 for p in (conc, setup) if p)
    capture_clean = cap.get("dropped_by_kernel") == 0
    no_loss = (capture_clean and rtp.get("engine_out_lost_by_seq") == 0
               and conc.get("engine_socket_drops_in_window") == 0
               and rtp.get("engine_out_streams") == 2 * conc.get("calls", -1))
    # The sustained rate comes from the setup phase (the concurrency phase ramps for calls/rate s only):
    # INVITEs arriving at the engine and calls bridged to agents, per second, within 2 % of 50.
    rated = setup or conc
    cdr = rated.get("cdr") or {}
    rates = [cdr.get("invites_per_s_at_engine") or 0, cdr.get("bridges_per_s") or 0]
    return {
        "concurrent_bridged_ge_200": (conc.get("peak_bridged") or 0) >= 200,
        "no_failed_calls": failed == 0 and bool(conc),
        "no_rtp_loss": no_loss,
        "rtp_capture_complete": capture_clean,
        # Both windows with every call bridged (CPU window; RTP capture window, tcpdump running).
        "media_tick_p99_le_22ms": all(isinstance(conc.get(k, {}).get("p99_ms"), (int, float))
                                      and conc[k]["p99_ms"] <= 22 and conc[k].get("ticks", 0) > 0
                                      for k in ("media_tick", "media_tick_with_capture")),
        "setup_rate_ge_50": min(rates) >= 50 * 0.98 and (rated.get("trunk_calls_failed") == 0)
        and rated.get("trunk_calls_successful") == rated.get("calls"),
    }


def table(report: dict) -> str:
    conc, setup = report.get("concurrency") or {}, report.get("setup") or {}
    rows: list[tuple[str, str, str]] = []

    def row(label, s="", c=""):
        rows.append((label, "" if s is None else str(s), "" if c is None else str(c)))

    g = lambda d, *keys: _dig(d, keys)   # noqa: E731
    row("calls attempted (trunk SIPp)", g(setup, "trunk_calls_created"), g(conc, "trunk_calls_created"))
    row("calls successful trunk / agent SIPp",
        f"{g(setup, 'trunk_calls_successful')} / {g(setup, 'agent_calls_successful')}" if setup else "",
        f"{g(conc, 'trunk_calls_successful')} / {g(conc, 'agent_calls_successful')}")
    row("calls failed trunk / agent SIPp",
        f"{g(setup, 'trunk_calls_failed')} / {g(setup, 'agent_calls_failed')}" if setup else "",
        f"{g(conc, 'trunk_calls_failed')} / {g(conc, 'agent_calls_failed')}")
    row("CDRs answered / not answered",
        f"{g(setup, 'cdr', 'answered')} / {g(setup, 'cdr', 'not_answered')}" if setup else "",
        f"{g(conc, 'cdr', 'answered')} / {g(conc, 'cdr', 'not_answered')}")
    row("recordings with audio (WAV as long as the talk)", g(setup, "cdr", "recordings_with_audio"),
        g(conc, "cdr", "recordings_with_audio"))
    row("recordings with their duration in the store", g(setup, "cdr", "recordings_with_duration_in_store"),
        g(conc, "cdr", "recordings_with_duration_in_store"))
    row("peak concurrent bridged calls", g(setup, "peak_bridged"), g(conc, "peak_bridged"))
    row("peak agents busy (engine status)", "", g(conc, "peak_agents_busy"))
    row("peak calls in the engine (all phases)", g(setup, "peak_active_calls"), g(conc, "peak_active_calls"))
    row("call rate asked of / placed by SIPp (cps)", f"{g(setup, 'rate_target')} / {g(setup, 'trunk_placing_rate_cps')}"
        if setup else "", f"{g(conc, 'rate_target')} / {g(conc, 'trunk_placing_rate_cps')}")
    row("INVITEs/s seen by the engine", g(setup, "cdr", "invites_per_s_at_engine"),
        g(conc, "cdr", "invites_per_s_at_engine"))
    row("bridges/s (agent answered)", g(setup, "cdr", "bridges_per_s"), g(conc, "cdr", "bridges_per_s"))
    row("first INVITE to last call bridged (s)", g(setup, "cdr", "first_invite_to_last_bridged_s"),
        g(conc, "cdr", "first_invite_to_last_bridged_s"))
    row("INVITE to 200 at the trunk, avg (ms)", g(setup, "trunk_invite_to_200_ms_avg"),
        g(conc, "trunk_invite_to_200_ms_avg"))
    row("queued to agent answered p50/p95/max (s)",
        "/".join(str(g(setup, "cdr", k)) for k in ("queued_to_agent_answer_s_p50", "queued_to_agent_answer_s_p95",
                                                   "queued_to_agent_answer_s_max")) if setup else "",
        "/".join(str(g(conc, "cdr", k)) for k in ("queued_to_agent_answer_s_p50", "queued_to_agent_answer_s_p95",
                                                  "queued_to_agent_answer_s_max")))
    row("SIP retransmissions (trunks)", g(setup, "trunk_retransmissions"), g(conc, "trunk_retransmissions"))
    row("measurement window (s)", g(setup, "cpu", "seconds"), g(conc, "cpu", "seconds"))
    row("engine CPU (% of one core)", g(setup, "cpu", "engine_cpu_pct"), g(conc, "cpu", "engine_cpu_pct"))
    et = g(conc, "cpu", "engine_threads_pct") or {}
    st = g(setup, "cpu", "engine_threads_pct") or {}
    row("  engine threads", ", ".join(f"{k.split('/')[0]} {v}" for k, v in list(st.items())[:3]),
        ", ".join(f"{k.split('/')[0]} {v}" for k, v in list(et.items())[:3]))
    row("kamailio CPU, all processes (% of one core)", g(setup, "cpu", "kamailio_cpu_pct"),
        g(conc, "cpu", "kamailio_cpu_pct"))
    row("SIPp CPU, all (% of one core)", g(setup, "cpu", "others_cpu_pct", "sipp"),
        g(conc, "cpu", "others_cpu_pct", "sipp"))
    row("tcpdump CPU (% of one core)", "", g(conc, "cpu_during_capture", "others_cpu_pct", "tcpdump"))
    row("whole box: supervisord+kamailio+engine+web (%)", g(setup, "cpu", "box_cpu_pct"), g(conc, "cpu", "box_cpu_pct"))
    row("load generators: SIPp, tcpdump, bench (%)", g(setup, "cpu", "generators_cpu_pct"),
        g(conc, "cpu", "generators_cpu_pct"))
    row("everything else: other users' work (%)", g(setup, "cpu", "other_cpu_pct"), g(conc, "cpu", "other_cpu_pct"))
    row("machine busy (% of all cores)", g(setup, "cpu", "machine_busy_pct_of_all_cores"),
        g(conc, "cpu", "machine_busy_pct_of_all_cores"))
    row("  of it kernel softirq, packets on lo (% of one core)", g(setup, "cpu", "softirq_cpu_pct"),
        g(conc, "cpu", "softirq_cpu_pct"))
    idle = report.get("memory_idle") or {}
    row("engine RSS idle / before phase / peak (MB)", "",
        f"{_mb(idle.get('engine_rss_kb'))} / {_mb(g(conc, 'memory_before', 'engine_rss_kb'))} / "
        f"{_mb(g(conc, 'engine_peak_rss_kb'))}")
    row("engine RSS per bridged call, from idle (kB)", "", g(conc, "engine_rss_per_call_kb"))
    row("kamailio RSS sum / PSS sum, idle (MB)", "",
        f"{_mb(idle.get('kamailio_rss_kb'))} / {_mb(idle.get('kamailio_pss_kb'))}"
        f" ({idle.get('kamailio_processes')} processes)")
    row("kamailio RSS sum / PSS sum, peak (MB)", "",
        f"{_mb(g(conc, 'memory_at_peak', 'kamailio_rss_kb'))} / {_mb(g(conc, 'memory_at_peak', 'kamailio_pss_kb'))}")
    row("kamailio RSS / PSS per bridged call (kB)", "",
        f"{g(conc, 'kamailio_rss_per_call_kb')} / {g(conc, 'kamailio_pss_per_call_kb')}")
    row("media tick p50/p99/max (ms), CPU window", "",
        "/".join(str(g(conc, "media_tick", k)) for k in ("p50_ms", "p99_ms", "max_ms"))
        + f" ({g(conc, 'media_tick', 'ticks')} ticks)")
    row("media tick p50/p99/max (ms), capture window", "",
        "/".join(str(g(conc, "media_tick_with_capture", k)) for k in ("p50_ms", "p99_ms", "max_ms"))
        + f" ({g(conc, 'media_tick_with_capture', 'ticks')} ticks)")
    row("RTP capture window (s)", "", g(conc, "rtp", "capture_seconds"))
    row("  engine CPU during capture (%)", "", g(conc, "cpu_during_capture", "engine_cpu_pct"))
    row("  tcpdump: captured / dropped by kernel", "",
        f"{g(conc, 'rtp_capture', 'captured')} / {g(conc, 'rtp_capture', 'dropped_by_kernel')}")
    row("  engine -> phones/trunks: streams / packets", "",
        f"{g(conc, 'rtp', 'engine_out_streams')} / {g(conc, 'rtp', 'engine_out_packets')}")
    row("  engine -> : lost (seq gaps) / streams with loss", "",
        f"{g(conc, 'rtp', 'engine_out_lost_by_seq')} / {g(conc, 'rtp', 'engine_out_streams_with_loss')}")
    row("  engine -> : pps per stream min / median", "",
        f"{g(conc, 'rtp', 'engine_out_pps_per_stream_min')} / {g(conc, 'rtp', 'engine_out_pps_per_stream_median')}")
    row("  engine -> : largest gap between packets (ms)", "", g(conc, "rtp", "engine_out_max_interpacket_gap_ms"))
    row("  engine -> : non-silent packets (%)", "", g(conc, "rtp", "engine_out_nonsilent_pct"))
    row("  phones/trunks -> engine: streams / packets", "",
        f"{g(conc, 'rtp', 'engine_in_streams')} / {g(conc, 'rtp', 'engine_in_packets')}")
    row("  phones/trunks -> engine: pps per stream min (30 ms pcap)", "", g(conc, "rtp", "engine_in_pps_per_stream_min"))
    row("  dropped by the engine's sockets (kernel)", "", g(conc, "engine_socket_drops_in_window"))
    w = max(len(r[0]) for r in rows)
    wc = max(17, max(len(r[2]) for r in rows))
    ws = max(17, max(len(r[1]) for r in rows))
    lines = [f"| {'':{w}} | {'concurrency phase':{wc}} | {'setup-rate phase':{ws}} |",
             f"|{'-' * (w + 2)}|{'-' * (wc + 2)}|{'-' * (ws + 2)}|"]
    lines += [f"| {a:{w}} | {c:{wc}} | {b:{ws}} |" for a, b, c in rows]
    t = report.get("targets", {})
    lines.append("")
    for k, v in t.items():
        lines.append(f"target {k}: {'MET' if v else 'NOT MET'}")
    return "\n".join(lines)


def _dig(d, keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _mb(kb):
    return round(kb / 1024, 1) if isinstance(kb, (int, float)) else None


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": os.uname().release,
            "mem_total_mb": int(open("/proc/meminfo").readline().split()[1]) // 1024,
            "sipp": subprocess.run(["sipp", "-v"], capture_output=True, text=True).stdout.strip().splitlines()[0:1]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=200, help="concurrent bridged calls to reach (and agents)")
    p.add_argument("--rate", type=float, default=50, help="call setups per second")
    p.add_argument("--hold", type=float, default=40, help="seconds each concurrency-phase call lasts after answer")
    p.add_argument("--window", type=float, default=10, help="seconds of each measurement window")
    p.add_argument("--agents", type=int, default=None, help="agents (default: --calls)")
    p.add_argument("--setup-seconds", type=float, default=10, help="length of the setup-rate phase (0: skip it)")
    p.add_argument("--setup-hold", type=float, default=5, help="seconds each setup-phase call lasts after answer")
    p.add_argument("--trunk-cps", type=float, default=0,
                   help="split the calls over trunks on 127.0.0.2, .3, ... of at most this rate each "
                        "(default 0: one trunk on 127.0.0.1 carries all)")
    p.add_argument("--concurrency", action=argparse.BooleanOptionalAction, default=True,
                   help="run the concurrency phase (--no-concurrency: only the rate phases)")
    p.add_argument("--overload-rate", type=float, default=0,
                   help="overload phase (bench/overload.py): trunk calls per second offered (0: skip it)")
    p.add_argument("--overload-seconds", type=float, default=10, help="length of the overload phase")
    p.add_argument("--overload-hold", type=float, default=5, help="seconds each overload-phase call lasts after answer")
    p.add_argument("--setup-limit", type=int, default=0,
                   help="the edge's limit of calls in setup at the engine (CALLBOX_EDGE_SETUP_LIMIT; 0: default)")
    p.add_argument("--setup-rate", type=int, default=0,
                   help="the edge's limit of calls admitted per second (CALLBOX_EDGE_SETUP_RATE; 0: default)")
    p.add_argument("--engine-load", action=argparse.BooleanOptionalAction, default=True,
                   help="the edge refuses new calls while the engine says it is busy (--no-engine-load: it "
                        "does not; CALLBOX_EDGE_ENGINE_LOAD=0)")
    p.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    p.add_argument("--keep", action="store_true", help="keep the data directory and capture")
    a = p.parse_args(argv)
    agents = a.agents or a.calls

    trunks = 1 if a.trunk_cps <= 0 else max(1, math.ceil(a.rate / a.trunk_cps - 1e-9))
    trunk_sources = ["127.0.0.1"] if trunks == 1 else [f"127.0.0.{2 + i}" for i in range(trunks)]

    workdir = Path(tempfile.mkdtemp(prefix="callbox-bench-"))
    box = Box.create(workdir / "box")
    (workdir / "box").mkdir(exist_ok=True)
    rtp_base = pick_rtp_base(2 * (a.calls + int(max(a.rate * a.setup_hold, a.overload_rate * a.overload_hold) * 2)))
    box.rtp_port = rtp_base
    box.env["CALLBOX_RTP_PORT"] = str(rtp_base)
    box.env["PYTHONFAULTHANDLER"] = "1"      # a crashing engine leaves its Python stacks in engine.log
    if a.setup_limit:
        box.env["CALLBOX_EDGE_SETUP_LIMIT"] = str(a.setup_limit)
    if a.setup_rate:
        box.env["CALLBOX_EDGE_SETUP_RATE"] = str(a.setup_rate)
    if not a.engine_load:
        box.env["CALLBOX_EDGE_ENGINE_LOAD"] = "0"
    report: dict = {"machine": machine(), "args": vars(a), "trunks": trunk_sources}
    # What the machine is doing without us: other users' work competes for the same 2 cores.
    s0 = system_ticks()
    time.sleep(2)
    s1 = system_ticks()
    report["background_load_pct_of_one_core"] = round(
        100.0 * (s1[0] - s0[0]) / max(1, s1[1] - s0[1]) * (os.cpu_count() or 1), 1)
    log(f"data in {workdir}; starting the box")
    t_start = time.monotonic()
    try:
        box.start()
        t = time.monotonic()
        center = Center(box, agents, trunk_sources)
        log(f"configured {agents} agents, queue, {trunks} trunk(s), route in {time.monotonic() - t:.1f} s")
        t = time.monotonic()
        ok, errors = center.register()
        report["registration"] = {"registered": ok, "agents": agents, "seconds": round(time.monotonic() - t, 2),
                                  "errors": errors[:10], "kamailio_registered_users": kamailio_registered(box)}
        log(f"registered {ok}/{agents} agents in {report['registration']['seconds']} s "
            f"(kamailio usrloc: {report['registration']['kamailio_registered_users']})")
        if ok < agents:
            raise RuntimeError(f"registration failed: {errors[:5]}")
        # The engine learns of the registrations from the edge every 2 s (firmware/edge/registrations.py).
        deadline = time.monotonic() + 10.0
        while True:
            idle = sum(1 for ag in box.engine_status()["agents"] if ag["state"] == "idle")
            if idle >= agents or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        report["agents_idle_before"] = idle
        if idle < agents:
            raise RuntimeError(f"only {idle} of {agents} agents are logged in and idle")
        meter = Meter(box)
        report["memory_idle"] = meter.memory()         # registered agents, no call yet
        ctx = Ctx(box, center, meter, workdir, a, report["memory_idle"])
        # Concurrency first: its memory growth is then measured from the idle box.
        if a.concurrency:
            report["concurrency"] = phase_concurrency(ctx)
        if a.setup_seconds > 0:
            time.sleep(2)
            report["setup"] = phase_setup(ctx)
        if a.overload_rate > 0:
            time.sleep(2)
            report["overload"] = overload.phase_overload(ctx, sys.modules[__name__])
        report["engine_log_problems"] = [line for line in (box.data / "log" / "engine.log").read_text(errors="replace")
                                         .splitlines() if " ERROR " in line or " WARNING " in line or "Traceback" in line][-20:]
    except Exception as exc:  # noqa: BLE001 - reported, then the box is stopped
        report["error"] = f"{type(exc).__name__}: {exc}"
        log(f"benchmark failed: {report['error']}\n{box.logs(tail=30)}")
    finally:
        box.stop()
        report["total_seconds"] = round(time.monotonic() - t_start, 1)
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            report["workdir"] = str(workdir)
    report["targets"] = targets(report) if a.concurrency else {}
    if a.overload_rate > 0:
        report["targets"].update(overload.targets(report.get("overload") or {}))
    m = report["machine"]
    print(f"Callbox call benchmark: {m['nproc']} x {m['cpu_model']}, {m['mem_total_mb']} MB, kernel {m['kernel']}")
    print(f"calls {a.calls}, rate {a.rate}/s, hold {a.hold} s, agents {agents}, trunks {trunks}, "
          f"setup phase {a.setup_seconds:g} s of {a.setup_hold:g}-s calls; total {report['total_seconds']} s")
    print(f"background load before the run: {report['background_load_pct_of_one_core']} % of one core")
    if "registration" in report:
        r = report["registration"]
        print(f"registration: {r['registered']}/{r['agents']} agents in {r['seconds']} s, "
              f"kamailio usrloc registered users: {r['kamailio_registered_users']}")
    if "error" in report:
        print(f"ERROR: {report['error']}")
    if a.concurrency or a.setup_seconds > 0:
        print(table(report))
    else:
        print("\n".join(f"target {k}: {'MET' if v else 'NOT MET'}" for k, v in report["targets"].items()))
    if "overload" in report:
        print("\n" + overload.table(report["overload"]))
    for label, keys in (("setup phase", ("setup", "cpu")), ("concurrency window", ("concurrency", "cpu")),
                        ("RTP capture window", ("concurrency", "cpu_during_capture"))):
        top = _dig(report, keys + ("top_processes_pct",))
        if top:
            print(f"CPU by process name, {label} (% of one core): "
                  + ", ".join(f"{k} {v}" for k, v in top.items()))
    for name in ("setup", "concurrency"):
        errors = _dig(report, (name, "sipp_errors"))
        if errors:
            print(f"\nSIPp errors ({name}):\n{errors}")
    if report.get("engine_log_problems"):
        print("\nengine log warnings/errors (last 20):\n" + "\n".join(report["engine_log_problems"]))
    if a.json:
        print(json.dumps(report, indent=2, default=str))
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
