"""The engine's control socket against the real client, over a real unix socket."""

import threading

import pytest

from firmware.engine.client import EngineClient, EngineError, EngineUnavailable
from firmware.engine.control import CommandError, ControlServer


@pytest.fixture
def server(tmp_path):
    state = {"agents": []}

    def login(args):
        if "agent_id" not in args:
            raise CommandError("agent_id is required")
        state["agents"].append(args["agent_id"])
        return {"agent_id": args["agent_id"]}

    srv = ControlServer(tmp_path / "engine.sock", {"agent_login": login, "status": lambda a: state},
                        snapshot=lambda: state)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            srv.poll(0.01)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield srv, state
    stop.set()
    thread.join()
    srv.close()


def test_request_and_reply(server):
    srv, state = server
    client = EngineClient(srv.path)
    assert client.request("agent_login", agent_id=7) == {"agent_id": 7}
    assert client.request("status") == {"agents": [7]}


def test_errors_come_back_as_messages(server):
    srv, _ = server
    client = EngineClient(srv.path)
    with pytest.raises(EngineError, match="agent_id is required"):
        client.request("agent_login")
    with pytest.raises(EngineError, match="unknown command 'launch'"):
        client.request("launch")


def test_subscribers_get_the_snapshot_and_each_publish(server):
    srv, state = server
    stream = EngineClient(srv.path).subscribe(idle_timeout=2)
    assert next(stream) == {"event": "status", "status": {"agents": []}}
    state["agents"].append(3)
    srv.publish()
    assert next(stream)["status"] == {"agents": [3]}
    stream.close()


def test_no_engine_is_reported_as_unavailable(tmp_path):
    with pytest.raises(EngineUnavailable):
        EngineClient(tmp_path / "missing.sock").request("status")
