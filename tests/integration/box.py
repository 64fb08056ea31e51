"""The whole box as the tests see it: `callbox run` (supervisord with kamailio, engine and web) in a
temporary data directory on free ports, configured through its REST API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from firmware.store import connect, queries
from firmware.engine.client import EngineClient, EngineUnavailable
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Box:
    data: Path
    sip_port: int
    engine_port: int
    web_port: int
    rtp_port: int
    process: subprocess.Popen | None = None
    token: str = ""
    env: dict = field(default_factory=dict)

    @classmethod
    def create(cls, data: Path) -> Box:
        box = cls(data=data, sip_port=free_port(), engine_port=free_port(), web_port=free_port(),
                  rtp_port=free_port(span=200))
        box.env = dict(os.environ, CALLBOX_DATA=str(data), CALLBOX_SIP_PORT=str(box.sip_port),
                       CALLBOX_ENGINE_PORT=str(box.engine_port), CALLBOX_WEB_PORT=str(box.web_port),
                       CALLBOX_RTP_PORT=str(box.rtp_port), CALLBOX_PROMPTS=str(REPO / "build" / "prompts"))
        return box

    # --- life -----------------------------------------------------------------------------------

    def callbox(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "callbox"), *args], env=self.env, input=stdin, text=True,
                                capture_output=True, timeout=60)
        if result.returncode:
            raise RuntimeError(f"callbox {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def start(self) -> None:
        self.token = self.callbox("token", "create", "--role", "admin").strip().splitlines()[-1]
        self.log = open(self.data / "box.log", "w")
        self.process = subprocess.Popen([str(BIN / "callbox"), "run"], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"box exited: {self.logs()}")
            if self.engine_status() is not None and self._web_up():
                return
            time.sleep(0.2)
        raise RuntimeError(f"box not ready after {timeout}s: {self.logs()}")

    def _web_up(self) -> bool:
        try:
            requests.get(self.url("/login"), timeout=1)
            return True
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def supervisorctl(self, *args: str) -> str:
        conf = self.data / "run" / "supervisord.conf"
        result = subprocess.run(["supervisorctl", "-c", str(conf), *args], capture_output=True, text=True)
        return result.stdout

    def engine_pid(self) -> int | None:
        out = self.supervisorctl("pid", "engine").strip()
        return int(out) if out.isdigit() and out != "0" else None

    def kill_engine(self) -> float:
        """kill -9 of the engine; returns the seconds until supervisor had a new one answering."""
        old_pid = self.engine_pid()
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        self.wait_for(lambda: (pid := self.engine_pid()) and pid != old_pid and self.engine_status() is not None,
                      timeout=10, what="the engine to come back")
        return time.monotonic() - killed_at

    def logs(self, name: str = "engine", tail: int = 60) -> str:
        parts = []
        for f in ("box.log", f"log/{name}.log", "log/kamailio.log"):
            path = self.data / f
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-tail:]
                parts.append(f"--- {f}\n" + "\n".join(lines))
        return "\n".join(parts)

    # --- engine and API -------------------------------------------------------------------------

    def engine_status(self, timeout: float = 10.0) -> dict | None:
        """The engine's live status; None when it is not there (no socket, refused: at once) or does
        not answer within `timeout`. The wait is long: tests index the answer in their predicates, and
        a loaded machine kept a busy engine's answer past the 2 s this once waited (the predicate
        then failed on None instead of waiting for the call, in test_conference)."""
        try:
            return EngineClient(self.data / "run" / "engine.sock", timeout=timeout).request("status")
        except (EngineUnavailable, OSError, ValueError):
            return None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def api(self, method: str, path: str, json=None, expect: int | None = None):
        response = requests.request(method, self.url("/api/v1" + path), json=json, timeout=10,
                                    headers={"Authorization": f"Bearer {self.token}"})
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def recording(self, recording_id: int) -> dict:
        """The recording's row, straight from the store (the API serves it, the test checks the file)."""
        with connect(self.data / "callbox.db") as conn:
            return queries.get_recording(conn, recording_id)

    def queue_events(self, call_id: int) -> list[dict]:
        with connect(self.data / "callbox.db") as conn:
            return queries.list_queue_events(conn, call_id)

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
