"""What the console does to the machine, behind one small interface so that a developer's machine
and the tests never reboot or rewrite anything.

`CALLBOX_CONSOLE_SYSTEM` picks the implementation:
  appliance       the image (its serial getty sets this): systemctl, networkd files, supervisorctl
  record:<file>   every action appended to <file> as one line; nothing else happens (the tests)
  (unset)         dry run: each action prints what the appliance would do, and does nothing
Restarting the services goes to the box's own supervisord socket (`$CALLBOX_DATA/run/supervisor.sock`)
in every mode but record, since it touches only the box.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from firmware import paths

# The root is read-only: the setting is kept on the data partition and copied where systemd-networkd
# reads it (/run/systemd/network) now and at every boot (the image's tmpfiles rule, docs/appliance.md).
# "10-" sorts before the image's 20-wired.network, so it wins for its interface.
NETWORK_FILE_NAME = "10-callbox.network"
RUNTIME_NETWORK_DIR = Path("/run/systemd/network")


def network_file() -> Path:
    return paths.data_dir() / "config" / "network" / NETWORK_FILE_NAME
SUPERVISED = ("kamailio", "engine", "web", "notifier")


@dataclass(frozen=True)
class NetworkSetting:
    """DHCP (address None) or a static address with its gateway and DNS servers."""
    interface: str
    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface | None = None
    gateway: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    dns: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = ()

    def networkd_file(self) -> str:
        lines = ["# written by the Callbox console", "[Match]", f"Name={self.interface}", "", "[Network]"]
        if self.address is None:
            lines.append("DHCP=yes")
        else:
            lines.append(f"Address={self.address.with_prefixlen}")
            if self.gateway is not None:
                lines.append(f"Gateway={self.gateway}")
        lines += [f"DNS={server}" for server in self.dns]
        return "\n".join(lines) + "\n"


def default_signals() -> None:
    """For a child of the console: the signals the console ignores (Ctrl-Z, Ctrl-\\) act again."""
    for sig in (signal.SIGTSTP, signal.SIGQUIT, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)


def run_foreground(argv: list[str], env: dict | None = None) -> int:
    """Runs a program on the console's terminal and waits; Ctrl-C stops the program, not the console."""
    process = subprocess.Popen(argv, preexec_fn=default_signals, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue        # the child got the same SIGINT and ends by itself


class System:
    """The appliance: the real commands."""
    name = "appliance"

    def __init__(self, say):
        self.say = say

    def reboot(self) -> None:
        self._run(["systemctl", "reboot"])

    def power_off(self) -> None:
        self._run(["systemctl", "poweroff"])

    def restart_services(self) -> int:
        supervisorctl = shutil.which("supervisorctl") or "supervisorctl"
        socket = paths.run_dir() / "supervisor.sock"
        if not socket.exists():
            self.say(f"supervisord is not running (no socket {socket})")
            return 1
        return run_foreground([supervisorctl, "--serverurl", f"unix://{socket}", "restart", *SUPERVISED])

    def write_network(self, setting: NetworkSetting) -> None:
        for target in (network_file(), RUNTIME_NETWORK_DIR / NETWORK_FILE_NAME):
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".tmp")
            temporary.write_text(setting.networkd_file())
            os.replace(temporary, target)
            self.say(f"written: {target}")
        self._run(["networkctl", "reload"])
        self._run(["networkctl", "reconfigure", setting.interface])

    def shell(self) -> int:
        shell = os.environ.get("SHELL") or "/bin/sh"
        if not Path(shell).is_file():
            shell = "/bin/sh"
        self.say(f"{shell}: type exit to come back to the menu")
        return run_foreground([shell, "-i"])

    def _run(self, argv: list[str]) -> None:
        self.say("running: " + " ".join(argv))
        subprocess.run(argv, check=False, preexec_fn=default_signals)


class DryRun(System):
    """A developer's machine: says what the appliance would do; only the box's services restart."""
    name = "dry run"

    def reboot(self) -> None:
        self.say("dry run (not the appliance): would run systemctl reboot")

    def power_off(self) -> None:
        self.say("dry run (not the appliance): would run systemctl poweroff")

    def write_network(self, setting: NetworkSetting) -> None:
        self.say(f"dry run (not the appliance): would write {network_file()} and "
                 f"{RUNTIME_NETWORK_DIR / NETWORK_FILE_NAME}:")
        for line in setting.networkd_file().splitlines():
            self.say("    " + line)
        self.say(f"and run networkctl reload; networkctl reconfigure {setting.interface}")


class Recorder(System):
    """The tests: each action is a line in a file; the shell still runs (it is the item's point)."""
    name = "recorder"

    def __init__(self, say, log: Path):
        super().__init__(say)
        self.log = log

    def _record(self, line: str) -> None:
        with self.log.open("a") as f:
            f.write(line + "\n")
        self.say(f"recorded: {line}")

    def reboot(self) -> None:
        self._record("reboot")

    def power_off(self) -> None:
        self._record("poweroff")

    def restart_services(self) -> int:
        self._record("restart " + " ".join(SUPERVISED))
        return 0

    def write_network(self, setting: NetworkSetting) -> None:
        self._record("network " + setting.networkd_file().replace("\n", "|"))


def system_from_env(say) -> System:
    mode = os.environ.get("CALLBOX_CONSOLE_SYSTEM", "")
    if mode == "appliance":
        return System(say)
    if mode.startswith("record:"):
        return Recorder(say, Path(mode[len("record:"):]))
    return DryRun(say)


def factory_reset(data: Path | None = None) -> list[str]:
    """Wipes the box's state in its data directory: the database (and its WAL), the recordings and
    the configuration rendered from it. Prompts, logs and the run directory stay (they hold no
    customer data and the running services need them). Returns what was removed."""
    data = data or paths.data_dir()
    removed = []
    for name in ("callbox.db", "callbox.db-wal", "callbox.db-shm"):
        target = data / name
        if target.exists():
            target.unlink()
            removed.append(str(target))
    for directory in (data / "recordings", data / "config"):
        if directory.exists():
            shutil.rmtree(directory)
            removed.append(str(directory) + "/")
    paths.ensure_layout()
    return removed
