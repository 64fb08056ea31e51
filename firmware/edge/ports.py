"""Are the box's ports free, and if not, which process holds them (from /proc)?

`callbox run` asks before it starts anything: a kamailio left running by a supervisord that was
killed would otherwise keep 5060, and the new box would start with an edge that cannot bind while
its web looks fine.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from firmware.config import BoxConfig

PROC = Path("/proc")
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Port:
    purpose: str        # "SIP", "engine", "web"
    protocol: str       # "udp" or "tcp"
    address: str
    number: int

    def __str__(self) -> str:
        return f"{self.purpose} port {self.address}:{self.number}/{self.protocol}"


def box_ports(config: BoxConfig) -> list[Port]:
    """What the box binds: kamailio's SIP port (UDP and TCP), the engine's (UDP), the web's (TCP)."""
    any_address = config.bind_address in ("", "0.0.0.0", "::", "[::]")
    bind = "0.0.0.0" if any_address else config.bind_address.strip("[]")
    return [Port("SIP", "udp", bind, config.sip_port), Port("SIP", "tcp", bind, config.sip_port),
            Port("engine", "udp", bind, config.engine_port), Port("web", "tcp", bind, config.web_port)]


def is_taken(port: Port) -> bool:
    family = socket.AF_INET6 if ":" in port.address else socket.AF_INET
    kind = socket.SOCK_DGRAM if port.protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as probe:
        if kind == socket.SOCK_STREAM:
            # A connection in TIME_WAIT does not stop a listener that sets SO_REUSEADDR (as ours do).
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((port.address, port.number))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _socket_inodes(port: Port) -> set[int]:
    """Inodes of the sockets bound to the port's number (any address), from /proc/net."""
    inodes = set()
    for table in (f"{port.protocol}", f"{port.protocol}6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, state, inode = fields[1], fields[3], fields[9]
            _, _, hex_port = local.rpartition(":")
            try:
                number = int(hex_port, 16)
            except ValueError:
                continue
            if number != port.number or (port.protocol == "tcp" and state != TCP_LISTEN):
                continue
            if inode.isdigit() and int(inode):
                inodes.add(int(inode))
    return inodes


def _process_name(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip() or "?"
    except OSError:
        return "?"


def holders(port: Port) -> list[tuple[int, str]]:
    """(pid, process name) of every process with a socket on the port; empty if none can be seen."""
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes(port)}
    found = []
    if not wanted:
        return found
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:         # gone meanwhile, or not ours to look at
            continue
        if links & wanted:
            found.append((int(entry.name), _process_name(int(entry.name))))
    return sorted(found)


def taken_ports(config: BoxConfig) -> list[str]:
    """One line per port of the box that is taken, naming what holds it; empty when all are free."""
    problems = []
    for port in box_ports(config):
        if not is_taken(port):
            continue
        who = holders(port)
        if who:
            named = ", ".join(f"{name} (pid {pid})" for pid, name in who)
            problems.append(f"{port} is taken by {named}")
        else:
            problems.append(f"{port} is taken (by a process this user cannot see)")
    return problems

