"""Fixtures of the web tests, flaskr-style: an app on a fresh data directory, its client, a logged-in
helper, API tokens, and a stand-in for the engine's unix socket."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from firmware import live_status
from firmware.store import connect, queries
from webui import create_app

FAST_HASH = "pbkdf2:sha256:1000"  # scrypt's deliberate slowness buys nothing in tests
PASSWORD = "correct-horse"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def make_app(data_dir):
    """Another app on the same data directory: what a second gunicorn worker is."""
    def make(**config):
        return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_HASH, **config})
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    conn = connect(app.config["DATABASE"])
    yield conn
    conn.close()


def add_user(db, username: str, role: str, agent_id: int | None = None) -> dict:
    return queries.create_user(db, username, generate_password_hash(PASSWORD, method=FAST_HASH), role, agent_id)


@pytest.fixture
def users(db):
    """One user per role; `agent` answers calls as agent 1001."""
    agent = queries.create_agent(db, "Ann Agent", "1001", "sip-secret")
    return {
        "admin": add_user(db, "admin", "admin"),
        "supervisor": add_user(db, "super", "supervisor"),
        "agent": add_user(db, "ann", "agent", agent["id"]),
        "agent_row": agent,
    }


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str = "admin", password: str = PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, users):
    return AuthActions(client)


@pytest.fixture
def token(db):
    """token("supervisor") → headers carrying a fresh bearer token of that role."""
    def make(role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {queries.create_token(db, role, f'test-{role}')}"}
    return make


class FakeEngine:
    """Answers the engine's socket protocol: records commands, serves `status`, and streams the
    events queued in `events` to a subscriber, then hangs up. A status is served as the engine sends
    it: held to the one shape (firmware/live_status.py), every field present. The rows the engine alone
    writes for the web's commands (an agent's logins, a call's classification) it writes as the engine does."""

    def __init__(self, path: Path, database: Path | str | None = None):
        self.path = path
        self.database = database
        self.commands: list[tuple[str, dict]] = []
        self._status: dict = live_status.LiveStatus().model_dump(mode="json")
        self._events: list[dict] | None = None  # None: one status event
        # seconds to stay silent after the events, before hanging up: long enough for a stream that
        # shares the web's one subscription (webui/live/fanout.py) to see the events before the hang-up
        self.hold = 0.3
        self.refusals: dict[str, str] = {}  # command -> the error the engine answers it with
        self.answers: dict[str, object] = {}  # command -> its result (default {})
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    # A status off the shape fails the test where it is set, rather than in the serving thread, where
    # the web would only see an engine that hung up.
    @property
    def status(self) -> dict:
        return self._status

    @status.setter
    def status(self, value: dict) -> None:
        live_status.checked(value)
        self._status = value

    @property
    def events(self) -> list[dict] | None:
        return self._events

    @events.setter
    def events(self, value: list[dict] | None) -> None:
        for event in value or ():
            if event.get("event") == "status":
                live_status.checked(event["status"])
        self._events = value

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                line += chunk
            request = json.loads(line)
            self.commands.append((request["cmd"], request["args"]))
            if request["cmd"] == "subscribe":
                events = [{"event": "status", "status": self.status}] if self.events is None else self.events
                for event in events:
                    if event.get("event") == "status":
                        event = {**event, "status": live_status.checked(event["status"])}
                    conn.sendall(json.dumps(event).encode() + b"\n")
                time.sleep(self.hold)
                return
            if request["cmd"] in self.refusals:
                answer = {"id": request["id"], "ok": False, "error": self.refusals[request["cmd"]]}
                conn.sendall(json.dumps(answer).encode() + b"\n")
                return
            if request["cmd"] == "status":
                result = live_status.checked(self.status)
            elif request["cmd"] in self.answers:
                result = self.answers[request["cmd"]]
            else:
                result = self._write(request["cmd"], request["args"])
            conn.sendall(json.dumps({"id": request["id"], "ok": True, "result": result}).encode() + b"\n")

    def _write(self, cmd: str, args: dict) -> dict:
        """What the engine writes and answers for the commands whose rows it owns."""
        if self.database is None or cmd not in ("agent_login", "agent_logout", "call_classify"):
            return {}
        conn = connect(self.database)
        try:
            if cmd == "call_classify":
                queries.classify_call(conn, args["call_id"], args["disposition"], args["note"], args["by_agent"])
                answer = {"agent_id": queries.get_call(conn, args["call_id"])["agent_id"], "state": "idle",
                          "pause_reason": None}
            elif cmd == "agent_login":
                answer = {"agent_id": args["agent_id"],
                          "queue_ids": queries.login_agent(conn, args["agent_id"], args["queue_ids"])}
            else:
                queries.logout_agent(conn, args["agent_id"])
                answer = {"agent_id": args["agent_id"], "queue_ids": []}
            conn.commit()
        finally:
            conn.close()
        return answer

    def names(self) -> list[str]:
        return [cmd for cmd, _ in self.commands]

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def engine(app):
    # A short directory of its own: a unix socket path must stay under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="cbx-", dir="/tmp"))
    fake = FakeEngine(folder / "engine.sock", app.config["DATABASE"])
    app.config["ENGINE_SOCKET"] = str(fake.path)
    yield fake
    fake.close()
    shutil.rmtree(folder, ignore_errors=True)
