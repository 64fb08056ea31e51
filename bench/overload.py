"""The overload phase of bench/calls.py: trunk calls offered faster than the box can set them up.

    .venv/bin/python bench/calls.py --no-concurrency --setup-seconds 0 --calls 300 \
        --overload-rate 120 --overload-seconds 10 --overload-hold 5

The edge refuses a call with 503 (Retry-After) once SETUP_LIMIT calls are in setup at the engine,
SETUP_RATE calls were admitted in this second, or the engine says its loop is busy (kamailio.cfg
route[ADMIT]; --setup-limit and --setup-rate set the first two, huge ones switch them off).
What counts: every admitted call completes (answered, bridged to an agent, hung up; no SIPp failure,
no CDR that is not answered), refusals come at once (INVITE -> 503), and the admitted calls' setup
stays fast (INVITE -> 200, retransmissions). The trunk (bench/sipp/trunk_uac_overload.xml) sends no
RTP: what is measured is call setup; the agents' SIPp still plays its audio.
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

REFUSALS_FAST_MS = 50          # INVITE -> 503 on average, at the trunk
# The agents' SIPp aborts a call it has already ended (BYE answered, in its last half second) when a
# retransmitted ACK arrives: the engine answers each retransmitted 200 with another ACK, and SIPp
# cannot absorb ACKs in a timewait. Such a call completed; it is counted apart.
LATE_ACK = re.compile(r"Aborting call on unexpected message for Call-Id '[^']*': while pausing \(index \d+\), "
                      r"received 'ACK ")


def counts_503(workdir: Path) -> int:
    """503s the trunk SIPp received, from its -trace_counts file (one column per scenario message)."""
    total = 0
    for path in workdir.glob("trunk_uac_overload_*_counts.csv"):
        rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
        if len(rows) < 2:
            continue
        last = dict(zip(rows[0], rows[-1]))
        for column, value in last.items():
            if column.endswith("_503_Recv") and value.strip().isdigit():
                total += int(value)
    return total


REFUSAL_REASONS = {"engine's load": "engine busy (its loop is behind)",
                   "calls in setup": "call setups in progress)",
                   "calls per second": "engine busy (its calls per second admitted)"}


def refusal_reasons(kamailio_log: Path, offset: int) -> dict[str, int]:
    """The edge's 503s by the limit that refused them (route[ADMIT]'s log lines past `offset`)."""
    try:
        with open(kamailio_log, "rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return {}
    return {reason: text.count(line) for reason, line in REFUSAL_REASONS.items()}


def late_acks(errors_path: Path) -> int:
    try:
        return len(LATE_ACK.findall(errors_path.read_text(errors="replace")))
    except FileNotFoundError:
        return 0


def phase_overload(ctx, calls_module) -> dict:
    """--overload-rate calls/s for --overload-seconds, each --overload-hold s after its answer."""
    c = calls_module
    a = ctx.args
    calls = int(a.overload_rate * a.overload_seconds)
    hold_ms = int(a.overload_hold * 1000)
    c.log(f"overload phase: {calls} calls at {a.overload_rate}/s, {a.overload_hold} s each")
    first_id = c.max_call_id(ctx.box.data / "callbox.db")
    kamailio_log = ctx.box.data / "log" / "kamailio.log"
    log_offset = kamailio_log.stat().st_size if kamailio_log.exists() else 0
    poller = c.StatusPoller(ctx.box, ctx.meter)
    poller.start()
    t0 = time.monotonic()
    timeout = a.overload_seconds + a.overload_hold + 60
    uas = c.Sipp("overload-agents", "agent_uas_loop.xml", ctx.workdir, local_ip="127.0.0.1",
                 port=ctx.center.uas_port, media_port=c.free_port(span=3), calls=100 * calls, timeout=timeout)
    trunk = ctx.center.trunks[0]
    uac = c.Sipp("overload-trunk", "trunk_uac_overload.xml", ctx.workdir, remote=f"127.0.0.1:{ctx.box.sip_port}",
                 local_ip=trunk["ip"], port=trunk["port"], media_port=c.free_port(span=3), calls=calls,
                 rate=a.overload_rate, service=c.DID, duration_ms=hold_ms, timeout=timeout, bind_local=True,
                 extra=("-trace_counts",))
    ctx.meter.extra = {"sipp": [uas.proc.pid, uac.proc.pid]}
    first = min(a.overload_seconds / 2, c.WELCOME_S + 1.0)
    time.sleep(first)
    c0 = ctx.meter.sample()
    time.sleep(max(1.0, a.overload_seconds - first - 0.5))
    c1 = ctx.meter.sample()
    c.end_calls(ctx, uas, [uac], timeout + 30)
    elapsed = time.monotonic() - t0
    poller.stop()
    time.sleep(1.0)
    stats = uac.stats()
    refused = counts_503(ctx.workdir)
    summary = c.sipp_summary(uas, [uac])
    cdr = c.cdr_summary(ctx.box.data / "callbox.db", first_id)
    refusal_ms = stats.get("response_time2_avg_s")
    return {
        "calls": calls, "rate_target": a.overload_rate, "hold_s": a.overload_hold, "elapsed_s": round(elapsed, 1),
        "setup_limit": a.setup_limit or "default (10)",
        "setup_rate": a.setup_rate or "default (65/s)",
        **summary,
        "refused_503": refused,
        "refused_by": refusal_reasons(kamailio_log, log_offset),
        "agent_calls_aborted_on_a_late_ack": late_acks(uas.errors_path),
        "admitted": int(summary["trunk_calls_created"]) - refused,
        "invite_to_503_ms_avg": round(1000 * refusal_ms, 1) if refusal_ms is not None else None,
        "peak_bridged": poller.peak_talking, "peak_active_calls": poller.peak_active,
        "cpu": c.Meter.between(c0, c1), "cdr": cdr,
    }


def targets(phase: dict) -> dict:
    cdr = phase.get("cdr") or {}
    admitted = phase.get("admitted")
    return {
        "overload_admitted_calls_all_complete": bool(phase) and phase.get("trunk_calls_failed") == 0
        and phase.get("agent_calls_failed") == phase.get("agent_calls_aborted_on_a_late_ack")
        and cdr.get("not_answered") == 0
        and cdr.get("answered") == admitted and phase.get("trunk_calls_successful") == phase.get("calls"),
        "overload_refused_at_once": bool(phase.get("refused_503")) and phase.get("invite_to_503_ms_avg") is not None
        and phase["invite_to_503_ms_avg"] <= REFUSALS_FAST_MS,
    }


def table(phase: dict) -> str:
    cdr = phase.get("cdr") or {}
    cpu = phase.get("cpu") or {}
    rows = [
        ("calls offered by the trunk SIPp (rate asked / placed, cps)",
         f"{phase.get('trunk_calls_created')} ({phase.get('rate_target')} / {phase.get('trunk_placing_rate_cps')})"),
        ("edge's limits: calls in setup / admitted per second", f"{phase.get('setup_limit')} / {phase.get('setup_rate')}"),
        ("refused with 503 / admitted", f"{phase.get('refused_503')} / {phase.get('admitted')}"),
        ("503s by the edge's limit that refused them", phase.get("refused_by")),
        ("calls failed trunk / agent SIPp (of which a late ACK after the end)",
         f"{phase.get('trunk_calls_failed')} / {phase.get('agent_calls_failed')} "
         f"({phase.get('agent_calls_aborted_on_a_late_ack')})"),
        ("CDRs answered / not answered", f"{cdr.get('answered')} / {cdr.get('not_answered')}"),
        ("CDR outcomes", cdr.get("outcomes")),
        ("INVITE to 503 at the trunk, avg (ms; SIPp counts whole ms)", phase.get("invite_to_503_ms_avg")),
        ("INVITE to 200 at the trunk, avg (ms)", phase.get("trunk_invite_to_200_ms_avg")),
        ("SIP retransmissions (trunk)", phase.get("trunk_retransmissions")),
        ("INVITEs/s seen by the engine / bridges/s", f"{cdr.get('invites_per_s_at_engine')} / {cdr.get('bridges_per_s')}"),
        ("queued to agent answered p50/p95/max (s)",
         f"{cdr.get('queued_to_agent_answer_s_p50')}/{cdr.get('queued_to_agent_answer_s_p95')}/"
         f"{cdr.get('queued_to_agent_answer_s_max')}"),
        ("peak calls in the engine / bridged", f"{phase.get('peak_active_calls')} / {phase.get('peak_bridged')}"),
        ("engine / kamailio CPU (% of one core)", f"{cpu.get('engine_cpu_pct')} / {cpu.get('kamailio_cpu_pct')}"),
        ("SIPp / everything else / machine busy (%)",
         f"{(cpu.get('others_cpu_pct') or {}).get('sipp')} / {cpu.get('other_cpu_pct')} / "
         f"{cpu.get('machine_busy_pct_of_all_cores')}"),
    ]
    w = max(len(r[0]) for r in rows)
    lines = [f"| {'overload phase':{w}} | |", f"|{'-' * (w + 2)}|---|"]
    lines += [f"| {label:{w}} | {value} |" for label, value in rows]
    return "\n".join(lines)
