"""Who may claim a fresh box (create its first admin on the first visit): a browser on the local
network, within an hour of the box's first start or of a short press of its reset button
(firmware/claim.py keeps those instants). A box left unconfigured cannot be claimed by a stranger.

The address is the socket's peer (`REMOTE_ADDR` as gunicorn gives it). The box has no reverse proxy,
so a forwarding header (X-Forwarded-For, Forwarded) is only what the client chose to write and is
never read here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from firmware import claim

WINDOW_SECONDS = 3600.0

# The local network: private (RFC 1918), unique local (RFC 4193), link-local and loopback.
LOCAL_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8",
    "fc00::/7", "fe80::/10", "::1/128"))

Clock = Callable[[], claim.Instant]


def is_local(address: str | None) -> bool:
    """Whether a peer address is on the local network. An IPv4 client of a dual-stack socket comes as
    ::ffff:a.b.c.d and is judged as a.b.c.d; a link-local address may carry its zone (fe80::1%eth0)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in LOCAL_NETWORKS)


@dataclass(frozen=True)
class Window:
    """The verdict for one request: open, or why not."""
    local: bool
    seconds_left: float        # 0 when closed

    @property
    def open(self) -> bool:
        return self.local and self.seconds_left > 0

    @property
    def reason(self) -> str | None:
        if not self.local:
            return "not-local"
        return None if self.seconds_left > 0 else "closed"


def seconds_left(opened: list[claim.Instant], now: claim.Instant) -> float:
    """How long the window stays open: an hour from the latest of the instants it opened at."""
    left = 0.0
    for instant in opened:
        since = claim.elapsed(instant, now)
        if since is not None and since < WINDOW_SECONDS:
            left = max(left, WINDOW_SECONDS - since)
    return left


def window(data_dir: Path, address: str | None, now: claim.Instant) -> Window:
    return Window(is_local(address), seconds_left(claim.records(data_dir), now))
