"""The engine's commands (firmware/engine/commands.py) on a fake host: a real store, ACD,
configuration and books, no engine, no pjsua2. The web's socket and the phone's feature codes call
the same methods."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from firmware import live_status
from firmware.acd import Acd, AgentState
from firmware.engine.alarm_book import AlarmBook
from firmware.engine.callback_book import CallbackBook
from firmware.engine.commands import Commands
from firmware.engine.configuration import Configuration
from firmware.engine.control import CommandError
from firmware.engine.memory_leg import MemoryHub, MemoryUa
from firmware.store import commit_pending, open_store, queries


class FakeHost:
    """What commands ask of the engine; the ACD's actions are only counted."""

    def __init__(self, store):
        self.store = store
        self.acd = Acd()
        self.configuration = Configuration(store, self.acd)
        self.callback_book = CallbackBook(store, self.acd)
        self.alarms = AlarmBook(store)
        self.hub = MemoryHub()
        self.ua = MemoryUa()
        self.sessions: dict = {}
        self.rooms: dict = {}
        self.actions: list = []
        self.reloads = 0
        self.changes = 0
        self.configuration.load()

    def settle(self, tick: bool = False) -> None:
        self.actions += self.acd.tick(time.monotonic()) if tick else self.acd.take_actions()

    def changed(self) -> None:
        self.changes += 1

    def reload(self) -> None:
        self.reloads += 1
        self.configuration.load()

    def ring(self, owner, extension, offer=None, role="agent"):
        return self.ua.call_phone(owner, extension, role)


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    store = open_store(tmp_path / "callbox.db", group_commit=True)
    queue = queries.create_queue(store, "support", settings={"disposition_required": True})
    agent = queries.create_agent(store, "Ann", "1001", "sip-secret")
    queries.add_queue_member(store, queue["id"], agent["id"])
    commit_pending(store)
    yield FakeHost(store)
    store.close()


def test_the_engine_modules_of_commands_and_calls_need_no_pjsua2():
    code = ("import sys; import firmware.engine.engine, firmware.engine.commands, firmware.engine.calls.inbound; "
            "assert 'pjsua2' not in sys.modules, 'pjsua2 imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_login_is_the_engines_to_keep_and_a_logout_ends_the_pause(host):
    commands = Commands(host)
    assert commands.agent_login(agent_id=1, queue_ids=[1]) == {"agent_id": 1, "queue_ids": [1]}
    assert queries.logged_in_queue_ids(host.store, 1) == [1] and host.acd.agents[1].queue_ids == {1}
    commands.agent_pause(agent_id=1, reason="lunch")
    assert queries.get_agent(host.store, 1)["paused_reason"] == "lunch"
    assert commands.agent_logout(agent_id=1) == {"agent_id": 1, "queue_ids": []}
    assert queries.logged_in_queue_ids(host.store, 1) == [] and queries.get_agent(host.store, 1)["paused_reason"] is None
    with pytest.raises(CommandError, match="queue_ids must be a list of known queue ids"):
        commands.agent_login(agent_id=1, queue_ids=[99])
    with pytest.raises(CommandError, match="unknown agent True"):
        commands.agent_login(agent_id=True, queue_ids=[1])
    with pytest.raises(CommandError, match="not logged in"):
        commands.agent_pause(agent_id=1, reason="lunch")


def test_the_socket_table_takes_json_args_and_leaves_unknown_ones_aside(host):
    table = Commands(host).by_name()
    assert table["agent_login"]({"agent_id": 1, "queue_ids": [1], "author": "web"})["queue_ids"] == [1]
    assert table["status"]({})["agents"][0]["state"] == "idle"
    with pytest.raises(CommandError, match="unknown agent None"):
        table["agent_pause"]({})
    assert "call_classify" in table and "subscribe" not in table


def answered_call(host, commands) -> int:
    """A call agent 1 answered and hung up: in wrap-up until it is classified (disposition_required)."""
    commands.agent_login(agent_id=1, queue_ids=[1])
    call_id = queries.open_call(host.store, "+46701", "4930100")
    queries.update_call(host.store, call_id, agent_id=1, answered_at=time.time())
    now = time.monotonic()
    host.acd.call_arrived(call_id, 1, now)
    host.acd.tick(now)
    host.acd.agent_answered(call_id, 1, now)
    host.acd.call_ended(call_id, 1, now)
    return call_id


def test_classifying_a_call_writes_its_record_and_ends_the_wrap_up_that_waited(host):
    commands = Commands(host)
    call_id = answered_call(host, commands)
    assert host.acd.agents[1].state is AgentState.WRAP_UP
    with pytest.raises(CommandError, match=f"call {call_id} must be classified first"):
        commands.wrapup_end(agent_id=1)
    with pytest.raises(CommandError, match="disposition must be one of resolved"):
        commands.call_classify(call_id=call_id, disposition="great")
    answer = commands.call_classify(call_id=call_id, disposition="sale", note="two boxes", by_agent=1)
    assert answer["state"] == "idle"
    call = queries.get_call(host.store, call_id)
    assert (call["disposition"], call["disposition_note"], call["disposition_by"]) == ("sale", "two boxes", "1001")
    unanswered = queries.open_call(host.store, "+46702", "4930100")
    with pytest.raises(CommandError, match="was not answered by an agent"):
        commands.call_classify(call_id=unanswered, disposition="sale")
    with pytest.raises(CommandError, match="no call 999"):
        commands.call_classify(call_id=999, disposition="sale")


def test_a_conference_dials_phones_in_and_refuses_what_it_cannot(host):
    commands = Commands(host)
    room = commands.conference_create()
    member = commands.conference_add(conference_id=room["id"], extension="1001")
    assert member["kind"] == "phone" and not member["connected"]
    phone = host.ua.ringing("1001")
    phone.far_answers()
    assert commands.status()["conferences"][0]["members"][0]["connected"]
    assert live_status.conforms(commands.status())
    with pytest.raises(CommandError, match="no phone with extension '2002'"):
        commands.conference_add(conference_id=room["id"], extension="2002")
    with pytest.raises(CommandError, match="no live call 5"):
        commands.conference_add(conference_id=room["id"], call_id=5)
    with pytest.raises(CommandError, match="no live call 5"):
        commands.monitor(call_id=5, mode="listen", extension="1001")
    assert commands.conference_close(conference_id=room["id"]) == {"closed": room["id"]}
    assert phone.disconnected and not host.rooms and not host.hub.conferences


def test_reload_reads_the_configuration_again(host):
    commands = Commands(host)
    queries.create_queue(host.store, "sales")
    assert commands.reload() == {"reloaded": True}
    assert host.reloads == 1 and sorted(q["name"] for q in commands.status()["queues"]) == ["sales", "support"]
