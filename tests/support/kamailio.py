"""A kamailio edge for a test: started with the box's own command line, stopped cleanly.

    with running_kamailio(config, data_dir) as edge:
        ...  # edge.address, edge.log(), edge.kamcmd("ul.dump")

The data directory must hold a migrated store (auth_db reads the `subscriber` view at start).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

from firmware.config import BoxConfig
from firmware.edge.kamailio import ctl_socket_path, kamailio_argv
from tests.support import sip


@contextmanager
def data_dir_env(data_dir: Path) -> Iterator[None]:
    """CALLBOX_DATA set to data_dir for the duration (firmware.paths reads it on every call)."""
    old = os.environ.get("CALLBOX_DATA")
    os.environ["CALLBOX_DATA"] = str(data_dir)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("CALLBOX_DATA", None)
        else:
            os.environ["CALLBOX_DATA"] = old


class Kamailio:
    def __init__(self, config: BoxConfig, data_dir: Path, log_path: Path, log_level: int):
        self.config = config
        self.data_dir = Path(data_dir)
        self.log_path = log_path
        with data_dir_env(self.data_dir):
            self.argv = kamailio_argv(config, log_level=log_level)
            self.ctl_socket = ctl_socket_path()
            self.ctl_socket.parent.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.config.bind_address, self.config.sip_port)

    @property
    def remote(self) -> str:
        """host:port as SIPp takes it."""
        return f"{self.config.bind_address}:{self.config.sip_port}"

    def log(self, tail: int = 80) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(lines[-tail:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        with open(self.log_path, "ab") as log:
            # Own process group: kamailio forks its workers, and all of them go at stop().
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"kamailio exited with {self.proc.returncode}:\n{self.log()}")
            if sip.options(self.address, timeout=0.2) == 200:
                return
        self.stop()
        raise RuntimeError(f"kamailio did not answer OPTIONS within {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # the main process stops its workers
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # any worker left behind
        except ProcessLookupError:
            pass
        self.proc.wait()

    def kamcmd(self, *args: str) -> str:
        """Runs kamcmd against this instance (e.g. "ul.dump") and returns its output."""
        out = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl_socket}", *args],
                             capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            raise RuntimeError(f"kamcmd {' '.join(args)} failed: {out.stderr or out.stdout}")
        return out.stdout


@contextmanager
def running_kamailio(config: BoxConfig, data_dir: Path, *, log_path: Path | None = None,
                     log_level: int = 2, timeout: float = 10.0) -> Iterator[Kamailio]:
    """kamailio for config's ports and data_dir, answering OPTIONS when this yields."""
    data_dir = Path(data_dir)
    log_path = log_path or data_dir / "kamailio-test.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    edge = Kamailio(config, data_dir, log_path, log_level)
    edge.start(timeout)
    try:
        yield edge
    finally:
        edge.stop()
