"""The figures the console shows: each read where it lives (the engine's socket, kamailio's
location table, the database, /proc, the logs), and each failing on its own with a plain reason,
so a box whose engine is down still shows everything else."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from firmware import paths
from firmware.engine.client import EngineClient, EngineError, EngineUnavailable
from firmware.version import firmware_version

ERROR_LINE = re.compile(rb"\b(ERROR|CRITICAL|Traceback)\b")
# supervisord's CRIT lines are its start-up notes (running as root); its news is a program that died
SUPERVISORD_ERROR_LINE = re.compile(rb"\b(ERRO|exited: .*not expected|gave up)")
LOG_NAMES = ("engine", "kamailio", "web", "notifier", "supervisord")


def version() -> str:
    return firmware_version()


def uptime() -> str:
    try:
        seconds = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return "unknown"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h {rest // 60} min"


def addresses() -> list[tuple[str, str]]:
    """(interface, address/prefix) of every global address, from `ip -json address`."""
    try:
        out = subprocess.run(["ip", "-json", "address", "show"], capture_output=True, timeout=5, check=True).stdout
        interfaces = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    found = []
    for interface in interfaces if isinstance(interfaces, list) else []:
        for info in interface.get("addr_info", []) if isinstance(interface, dict) else []:
            if info.get("scope") == "global":
                found.append((str(interface.get("ifname", "?")), f"{info.get('local')}/{info.get('prefixlen')}"))
    return found


def default_routes() -> list[str]:
    try:
        out = subprocess.run(["ip", "-json", "route", "show", "default"], capture_output=True, timeout=5,
                             check=True).stdout
        return [f"via {r.get('gateway', '-')} dev {r.get('dev', '?')}" + (" (DHCP)" if r.get("protocol") == "dhcp" else "")
                for r in json.loads(out) if isinstance(r, dict)]
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


def dns_servers(resolv_conf: Path = Path("/etc/resolv.conf")) -> list[str]:
    servers = []
    try:
        lines = resolv_conf.read_text(errors="replace").splitlines()
    except OSError:
        return servers
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                servers.append(str(ipaddress.ip_address(fields[1])))
            except ValueError:
                continue
    return servers


def disk() -> str:
    data = paths.data_dir()
    usage = shutil.disk_usage(data)
    return (f"{usage.used / usage.total:.0%} used, {usage.free / 2**30:.1f} GiB free of "
            f"{usage.total / 2**30:.1f} GiB ({data})")


def engine_status(client: EngineClient | None = None) -> tuple[dict | None, str]:
    """The engine's live status, or None and why not."""
    try:
        return (client or EngineClient(timeout=3.0)).request("status"), "running"
    except EngineUnavailable:
        return None, "engine not running"
    except EngineError as exc:
        return None, f"engine error: {exc}"


def registered_phones() -> tuple[set[str] | None, str]:
    """The extensions with a live registration at the edge, or None and why not."""
    from firmware.edge import rpc
    from firmware.edge.registrations import registered_users

    try:
        return registered_users(rpc.call("ul.dump")), "edge running"
    except rpc.EdgeUnavailable:
        return None, "edge (kamailio) not running"
    except rpc.EdgeError as exc:
        return None, f"edge error: {exc}"


def trunk_alarms(engine: dict | None) -> dict[str, str]:
    """Open alarms whose name speaks of a trunk, by subject (the trunk's id or name)."""
    alarms = {}
    for alarm in (engine or {}).get("alarms", []):
        if "trunk" in str(alarm.get("name", "")):
            alarms[str(alarm.get("subject"))] = f"{alarm.get('name')}: {alarm.get('detail')}"
    return alarms


def trunk_states(engine: dict | None, engine_state: str) -> dict[int, str]:
    """What the engine knows of each trunk, by id: its registration's last answer (a registering
    trunk) and any open alarm for it."""
    if engine is None:
        return {}
    try:
        trunks = EngineClient(timeout=3.0).request("trunks")["trunks"]
    except (EngineUnavailable, EngineError, KeyError, TypeError):
        trunks = []
    alarms = trunk_alarms(engine)
    states = {}
    for trunk in trunks:
        registration = trunk.get("registration")
        if trunk.get("type") != "register":
            text = "peer (no registration)"
        elif not registration or registration.get("code") is None:
            text = "registration: no answer yet"
        else:
            code = registration["code"]
            text = (f"registered ({code} {registration.get('reason')}, {registration.get('expires')} s)"
                    if 200 <= code < 300 and registration.get("expires") else
                    f"NOT registered ({code} {registration.get('reason')})")
        alarm = alarms.get(str(trunk.get("id"))) or alarms.get(str(trunk.get("name")))
        states[trunk.get("id")] = text + (f"; alarm {alarm}" if alarm else "")
    return states


def last_errors(limit: int = 5, tail_bytes: int = 65536) -> list[str]:
    """The last error lines of the box's logs, newest last."""
    found: list[tuple[float, str]] = []
    for name in LOG_NAMES:
        log = paths.log_dir() / f"{name}.log"
        try:
            with log.open("rb") as f:
                size = f.seek(0, 2)
                f.seek(max(0, size - tail_bytes))
                chunk = f.read()
                mtime = log.stat().st_mtime
        except OSError:
            continue
        for line in chunk.splitlines()[-2000:]:
            if (SUPERVISORD_ERROR_LINE if name == "supervisord" else ERROR_LINE).search(line):
                found.append((mtime, f"{name}: {printable(line)[:160]}"))
    return [text for _, text in found[-limit:]]


def printable(raw: bytes) -> str:
    """A log line made safe for a terminal: no escape sequences from the outside reach the tty."""
    text = raw.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else "?" for c in text)


def status_lines(conn) -> list[str]:
    from firmware.store import queries

    lines = [f"Callbox {version()}   up {uptime()}   {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"]
    found = addresses()
    lines.append("addresses: " + (", ".join(f"{a} ({i})" for i, a in found) if found else "none"))
    lines.append(f"disk: {disk()}")
    engine, engine_state = engine_status()
    phones, edge_state = registered_phones()
    agents = queries.list_agents(conn)
    if phones is None:
        lines.append(f"phones: {edge_state}; {len(agents)} agent phones configured")
    else:
        lines.append(f"phones: {len(phones & {a['extension'] for a in agents})} of {len(agents)} registered")
    lines.append(f"calls now: {engine['active_calls']}" if engine else f"calls now: {engine_state}")
    trunks = queries.list_trunks(conn)
    states = trunk_states(engine, engine_state)
    lines.append(f"trunks: {len(trunks)}")
    for trunk in trunks:
        state = states.get(trunk["id"], engine_state if engine is None else "not known to the engine yet")
        lines.append(f"  {trunk['name']} ({trunk['type']}, {trunk['address']}): {state}")
    errors = last_errors()
    lines.append("last errors: " + ("none" if not errors else ""))
    lines += [f"  {e}" for e in errors]
    return lines
