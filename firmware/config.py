"""The box's process settings, read from the environment (the same names in development and on the image)."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class BoxConfig:
    bind_address: str
    sip_port: int       # kamailio, the only SIP port phones and trunks see
    engine_port: int    # pjsua2, reachable from kamailio only
    web_port: int
    rtp_port_start: int
    prompts_dir: Path
    rootfs: Path

    @classmethod
    def from_env(cls) -> BoxConfig:
        return cls(
            bind_address=os.environ.get("CALLBOX_BIND", "127.0.0.1"),
            sip_port=_int("CALLBOX_SIP_PORT", 5060),
            engine_port=_int("CALLBOX_ENGINE_PORT", 5080),
            web_port=_int("CALLBOX_WEB_PORT", 8080),
            rtp_port_start=_int("CALLBOX_RTP_PORT", 20000),
            prompts_dir=Path(os.environ.get("CALLBOX_PROMPTS", REPO_ROOT / "build" / "prompts")),
            rootfs=Path(os.environ.get("CALLBOX_ROOTFS", REPO_ROOT / "rootfs")),
        )


AUTO_BIND = "auto"


def default_route_address() -> str:
    """The local address the kernel would send from towards the outside (the default route's
    interface), else the first global IPv4 address of an interface that is up (a network without a
    gateway), else 127.0.0.1. A UDP connect only selects a route: nothing is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never a local network
            return probe.getsockname()[0]
        except OSError:
            pass
    return first_global_address() or "127.0.0.1"


def first_global_address() -> str | None:
    """The first global-scope IPv4 address of an interface that is up, from iproute2's JSON."""
    try:
        out = subprocess.run(["ip", "-4", "-json", "addr", "show", "scope", "global", "up"],
                             capture_output=True, text=True, timeout=5, check=True).stdout
        links = json.loads(out or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    for link in links if isinstance(links, list) else []:
        for info in link.get("addr_info", []) if isinstance(link, dict) else []:
            address = info.get("local") if isinstance(info, dict) else None
            if isinstance(address, str):
                try:
                    return str(ipaddress.IPv4Address(address))
                except ValueError:
                    continue
    return None


def resolve_auto_bind() -> None:
    """CALLBOX_BIND=auto (the image's setting) becomes a concrete address, once, in `callbox run`:
    every program of the box inherits it, so kamailio, the engine and the web agree on one address.
    Without a route yet (a DHCP lease still coming) it waits up to CALLBOX_BIND_WAIT seconds (30),
    then takes loopback."""
    if os.environ.get("CALLBOX_BIND", "").strip().lower() != AUTO_BIND:
        return
    deadline = time.monotonic() + _int("CALLBOX_BIND_WAIT", 30)
    address = default_route_address()
    while address == "127.0.0.1" and time.monotonic() < deadline:
        time.sleep(0.5)
        address = default_route_address()
    os.environ["CALLBOX_BIND"] = address
