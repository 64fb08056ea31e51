"""Free local ports for test processes (free on UDP and TCP alike, as SIP listens on both)."""

from __future__ import annotations

import socket
import time

_handed_out: set[int] = set()


def _is_free(host: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port(host: str = "127.0.0.1", span: int = 1) -> int:
    """A port p with p .. p+span-1 free on UDP and TCP, not handed out before by this process.

    span > 1 is for SIPp's media port, which also takes the port two above it.
    """
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        block = range(port, port + span)
        if port + span > 65535 or _handed_out.intersection(block):
            continue
        if all(_is_free(host, p) for p in block):
            _handed_out.update(block)
            return port
    raise RuntimeError(f"no free port block of {span} on {host}")


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    return [free_port(host) for _ in range(count)]


def udp_bound(port: int) -> bool:
    """Whether any process has bound the UDP port (read from /proc, so without racing it)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local = line.split()[1]             # "0100007F:13C4"
            if int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_udp_bound(port: int, timeout: float = 5.0) -> None:
    """Waits until some process has bound the UDP port (e.g. a SIPp started in the background)."""
    deadline = time.monotonic() + timeout
    while not udp_bound(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing bound UDP port {port} within {timeout} s")
        time.sleep(0.02)
