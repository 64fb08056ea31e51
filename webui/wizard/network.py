"""The wizard's network step: a setting applied with a way back. The new setting is applied at once
and kept only if a browser reaches the box with it within ROLLBACK_SECONDS; otherwise the previous
one is applied again, so a wrong address or gateway cannot lock the installer out.

Three parts: the pending change, kept on the data partition so that a web restart (the address of
the box changed) or another gunicorn worker still knows it; `decide`, the pure rule of when to keep or
roll back (time passed in); and a backend that does the applying (NetworkdBackend: systemd-networkd's
files, as the image and the console use them).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from firmware.console.system import NETWORK_FILE_NAME, RUNTIME_NETWORK_DIR, NetworkSetting

log = logging.getLogger(__name__)

ROLLBACK_SECONDS = 60.0
# The page may confirm only once the new setting had time to take effect: before that, the old
# address may still answer and "the browser came back" would prove nothing.
SETTLE_SECONDS = 3.0
PENDING_FILE = "network-pending.json"


@dataclass(frozen=True)
class PendingChange:
    previous: str | None       # the network file in force before (None: none, the image's default DHCP)
    applied: str | None        # the one applied now
    applied_at: float          # wall clock, as the deadline shown to the installer
    token: str                 # the capability a browser on the new address confirms with
    new_address: str | None = None    # a static setting's address, for the link to it

    @property
    def deadline(self) -> float:
        return self.applied_at + ROLLBACK_SECONDS


def decide(change: PendingChange, now: float, *, confirmed: bool = False) -> str:
    """"keep" (confirmed in time), "rollback" (the time is up) or "wait". A confirmation before the
    setting settled is not one yet ("wait"); one after the deadline comes too late ("rollback")."""
    if now >= change.deadline:
        return "rollback"
    if confirmed:
        return "keep" if now >= change.applied_at + SETTLE_SECONDS else "wait"
    return "wait"


class NetworkBackend(Protocol):
    def current(self) -> str | None: ...
    def apply(self, content: str | None, interface: str | None, *, moves: bool = True) -> None: ...
    def interfaces(self) -> list[str]: ...


Runner = Callable[[Sequence[str]], object]


def run_command(argv: Sequence[str]) -> object:
    log.warning("network: %s", " ".join(argv))
    return subprocess.run(list(argv), check=False, timeout=30, stdin=subprocess.DEVNULL)


class NetworkdBackend:
    """systemd-networkd as the image runs it (docs/appliance.md, "Console"): the setting is
    `10-callbox.network`, kept in `config_dir` (/data/config/network: the root is read-only) and copied
    to `runtime_dir` (/run/systemd/network, where networkd reads it now; a tmpfiles rule copies it there
    at boot), then `networkctl reload` and `reconfigure`. Without a runtime directory and runner (a
    developer's machine) only the kept file is written: the host's network is never touched.

    With `rebind`, the box's services restart a moment after a change that `moves` the box's address
    (`callbox run` resolves CALLBOX_BIND=auto to one address at its start, so the web would stay on
    the old one)."""

    def __init__(self, config_dir: Path, runtime_dir: Path | None = None, run: Runner | None = None,
                 sys_class_net: Path = Path("/sys/class/net"), rebind: bool = False):
        self.config_dir, self.runtime_dir, self.run = config_dir, runtime_dir, run
        self.sys_class_net, self.rebind = sys_class_net, rebind

    def _targets(self) -> list[Path]:
        return [self.config_dir / NETWORK_FILE_NAME] + ([self.runtime_dir / NETWORK_FILE_NAME] if self.runtime_dir else [])

    def current(self) -> str | None:
        try:
            return (self.config_dir / NETWORK_FILE_NAME).read_text()
        except FileNotFoundError:
            return None

    def apply(self, content: str | None, interface: str | None, *, moves: bool = True) -> None:
        for target in self._targets():
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            temporary.write_text(content)
            os.replace(temporary, target)
        if self.run is not None:
            self.run(["networkctl", "reload"])
            if interface:
                self.run(["networkctl", "reconfigure", interface])
            if self.rebind and moves:     # after this answer has gone out; the new web arms the rollback timer again
                self.run(["systemd-run", "--on-active=2", "systemctl", "restart", "callbox.service"])

    def interfaces(self) -> list[str]:
        try:
            names = sorted(p.name for p in self.sys_class_net.iterdir())
        except OSError:
            return []
        return [name for name in names if name != "lo" and (self.sys_class_net / name / "device").exists()] or \
            [name for name in names if name != "lo"]


def backend_for(data_dir: Path, appliance: bool) -> NetworkBackend:
    """The image's networkd, or on a developer's machine the kept file only."""
    config_dir = data_dir / "config" / "network"
    if appliance and shutil.which("networkctl"):
        return NetworkdBackend(config_dir, RUNTIME_NETWORK_DIR, run_command, rebind=True)
    return NetworkdBackend(config_dir)


def setting_file(setting: NetworkSetting) -> str:
    return setting.networkd_file().replace("# written by the Callbox console", "# written by the Callbox setup wizard", 1)


def _network_value(content: str | None, wanted: str) -> str | None:
    """The value of a `Key=value` line of a network file of ours (one [Match], one [Network])."""
    for line in (content or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == wanted and value.strip():
            return value.strip()
    return None


def moves_address(before: str | None, after: str | None) -> bool:
    """Whether the box's address may change from one setting to the other: a static address given,
    changed or taken away (DHCP to DHCP keeps the lease: ClientIdentifier=mac)."""
    return _network_value(before, "Address") != _network_value(after, "Address")


def interface_of(content: str | None) -> str | None:
    """The `Name=` of a network file's [Match] (ours have one), to reconfigure it on a rollback."""
    return _network_value(content, "Name")


class NetworkChanges:
    """The pending change of one data directory: apply, confirm, and settle (roll back when due).
    Several workers share it through the file; a lock orders this worker's timer and its requests."""

    _lock = threading.Lock()

    def __init__(self, folder: Path, backend: NetworkBackend, clock: Callable[[], float] = time.time):
        self.path = folder / PENDING_FILE
        self.backend, self.clock = backend, clock

    def pending(self) -> PendingChange | None:
        try:
            raw = json.loads(self.path.read_text())
            return PendingChange(**raw)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.error("network: unreadable pending change %s (%s): left alone", self.path, exc)
            return None

    def _save(self, change: PendingChange | None) -> None:
        if change is None:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(asdict(change)))
        os.replace(temporary, self.path)

    def apply(self, setting: NetworkSetting) -> PendingChange:
        """Applies `setting` now, to be confirmed within ROLLBACK_SECONDS. A change still pending is
        first rolled back, so `previous` is always a setting that was kept."""
        with self._lock:
            self._settle(force=True)
            previous = self.backend.current()
            content = setting_file(setting)
            new_address = str(setting.address.ip) if setting.address is not None else None
            change = PendingChange(previous, content, self.clock(), secrets.token_urlsafe(16), new_address)
            self._save(change)
            self.backend.apply(content, setting.interface, moves=moves_address(previous, content))
            return change

    def confirm(self, token: str | None = None) -> str:
        """A browser reached the box with the new setting: "keep", "wait" (too soon) or "rollback"
        (too late: it was rolled back). With a token, only the pending change's own one counts."""
        with self._lock:
            change = self.pending()
            if change is None:
                return "none"
            if token is not None and not secrets.compare_digest(token, change.token):
                return "none"
            verdict = decide(change, self.clock(), confirmed=True)
            if verdict == "keep":
                self._save(None)
            elif verdict == "rollback":
                self._roll_back(change)
            return verdict

    def settle(self) -> str | None:
        """Rolls back a change whose time is up; called by the timer, every wizard request and at the
        web's start. Returns the verdict, None when nothing is pending."""
        with self._lock:
            return self._settle()

    def _settle(self, *, force: bool = False) -> str | None:
        change = self.pending()
        if change is None:
            return None
        verdict = "rollback" if force else decide(change, self.clock())
        if verdict == "rollback":
            self._roll_back(change)
        return verdict

    def _roll_back(self, change: PendingChange) -> None:
        log.warning("network: the new setting was not confirmed in time; the previous one again")
        self.backend.apply(change.previous, interface_of(change.previous) or interface_of(change.applied),
                           moves=moves_address(change.applied, change.previous))
        self._save(None)

    def arm(self) -> threading.Timer | None:
        """A timer in this process that settles the pending change at its deadline."""
        change = self.pending()
        if change is None:
            return None
        timer = threading.Timer(max(0.0, change.deadline - self.clock()) + 0.2, self.settle)
        timer.daemon = True
        timer.start()
        return timer


def parse_setting(interface: str, mode: str, address: str | None, gateway: str | None,
                  dns: Sequence[str]) -> NetworkSetting:
    """A NetworkSetting from checked text; ValueError names what is wrong (the service words it)."""
    if mode == "dhcp":
        return NetworkSetting(interface)
    iface = ipaddress.ip_interface(address or "")
    if iface.network.prefixlen == iface.max_prefixlen:
        raise ValueError("address")
    gw = ipaddress.ip_address(gateway) if gateway else None
    if gw is not None and (gw.version != iface.version or gw not in iface.network):
        raise ValueError("gateway")
    return NetworkSetting(interface, iface, gw, tuple(ipaddress.ip_address(server) for server in dns))
