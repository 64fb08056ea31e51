"""An agent's pause and wrap-up through the engine's commands (no SIP): reasons checked, the pause
kept in the store and taken up again by the next engine."""

from __future__ import annotations

import json
import time

import pytest

from firmware.acd import AgentState
from firmware.config import BoxConfig
from firmware.engine.control import CommandError
from firmware.engine.engine import Engine
from firmware.store import commit_pending, open_store, queries


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    queue = queries.create_queue(conn, "support", settings={"wrapup": 30})
    agent = queries.create_agent(conn, "Ann", "1001", "sip-secret")
    queries.login_agent(conn, agent["id"], [queue["id"]])
    commit_pending(conn)
    yield conn
    conn.close()


def engine_on(store) -> Engine:
    engine = Engine(BoxConfig.from_env(), store)
    commit_pending(store)
    return engine


def test_pause_for_a_known_reason_is_kept_across_a_restart(store):
    engine = engine_on(store)
    with pytest.raises(CommandError, match="reason must be one of"):
        engine.commands.agent_pause(agent_id=1, reason="nap")
    answer = engine.commands.agent_pause(agent_id=1, reason="lunch")
    assert answer == {"agent_id": 1, "state": "paused", "pause_reason": "lunch"}
    assert queries.get_agent(store, 1)["paused_reason"] == "lunch"

    again = engine_on(store)                     # the next engine, after a crash
    assert again.acd.agents[1].state is AgentState.PAUSED and again.acd.agents[1].pause_reason == "lunch"
    assert again.commands.agent_unpause(agent_id=1)["state"] == "idle"
    assert queries.get_agent(store, 1)["paused_reason"] is None
    assert engine_on(store).acd.agents[1].state is AgentState.IDLE


def test_configured_pause_reasons_replace_the_defaults(store):
    queries.set_setting(store, "pause_reasons", json.dumps([{"code": "coaching", "billable": True}]))
    commit_pending(store)
    engine = engine_on(store)
    assert set(engine.acd.pause_reasons) == {"coaching", "no-answer"}
    with pytest.raises(CommandError):
        engine.commands.agent_pause(agent_id=1, reason="lunch")


def test_a_logged_out_agent_cannot_pause_and_logging_out_ends_the_pause(store):
    engine = engine_on(store)
    engine.commands.agent_pause(agent_id=1, reason="break")
    engine.commands.agent_logout(agent_id=1)
    assert queries.get_agent(store, 1)["paused_reason"] is None
    with pytest.raises(CommandError, match="not logged in"):
        engine.commands.agent_pause(agent_id=1, reason="break")


def test_wrap_up_is_ended_early_or_extended(store):
    engine = engine_on(store)
    with pytest.raises(CommandError, match="not in wrap-up"):
        engine.commands.wrapup_end(agent_id=1)
    now = time.monotonic()
    acd = engine.acd
    acd.call_arrived(50, 1, now)
    acd.tick(now)
    acd.agent_answered(50, 1, now)
    acd.call_ended(50, 1, now)
    assert acd.agents[1].state is AgentState.WRAP_UP
    until = acd.agents[1].wrapup_until
    engine.commands.wrapup_extend(agent_id=1, seconds=60)
    assert acd.agents[1].wrapup_until == pytest.approx(until + 60, abs=1)
    with pytest.raises(CommandError, match="1 to 600"):
        engine.commands.wrapup_extend(agent_id=1, seconds=6000)
    assert engine.commands.wrapup_end(agent_id=1)["state"] == "idle"


class Dumps:
    """A registration watcher whose dumps the test writes."""

    def __init__(self):
        self.registered, self.version = frozenset(), 0

    def show(self, *extensions: str) -> None:
        self.registered, self.version = frozenset(extensions), self.version + 1


def test_registrations_make_an_agent_unavailable_but_do_not_cut_a_ring(store):
    engine = engine_on(store)
    engine.registrations = watcher = Dumps()
    acd, now = engine.acd, time.monotonic()
    watcher.show("1001")
    engine._apply_registrations(now)
    assert acd.agents[1].state is AgentState.IDLE
    watcher.show()                                       # the phone signed off
    engine._apply_registrations(now)
    assert acd.agents[1].state is AgentState.UNAVAILABLE
    watcher.show("1001")
    engine._apply_registrations(now)
    assert acd.agents[1].state is AgentState.IDLE

    acd.call_arrived(60, 1, now)
    acd.tick(now)
    assert acd.agents[1].state is AgentState.RINGING
    watcher.show()                                       # a dump older than the ring's REGISTER
    engine._apply_registrations(now)
    assert acd.agents[1].state is AgentState.RINGING and 60 in acd.waiting


def test_a_queue_deleted_while_the_engine_runs_is_left_by_its_agents(store):
    sales = queries.create_queue(store, "sales")
    queries.login_agent(store, 1, [1, sales["id"]])
    commit_pending(store)
    engine = engine_on(store)
    assert engine.acd.agents[1].queue_ids == {1, sales["id"]}
    queries.delete_queue(store, sales["id"])
    commit_pending(store)
    engine.configuration.load()                         # what the web's "reload" does
    assert sales["id"] not in engine.acd.queues
    assert engine.acd.agents[1].queue_ids == {1} and engine.acd.agents[1].state is AgentState.IDLE


def test_feature_codes_pause_by_the_place_of_the_reason_in_the_boxs_list(store):
    from firmware.engine.calls.feature_call import carry_out
    from firmware.engine.calls.feature_codes import parse
    queries.set_setting(store, "pause_reasons", json.dumps([{"code": "coaching"}, {"code": "lunch"}]))
    commit_pending(store)
    engine = engine_on(store)
    assert engine.configuration.pause_reason_choices == ["coaching", "lunch"]          # "no-answer" is the ACD's own
    assert carry_out(engine.commands, 1, parse("*432")) == "reason=lunch"
    assert engine.acd.agents[1].pause_reason == "lunch"
    with pytest.raises(CommandError, match="there is no pause reason 3"):
        carry_out(engine.commands, 1, parse("*433"))
    with pytest.raises(CommandError, match="not in wrap-up"):
        carry_out(engine.commands, 1, parse("*45"))
    queries.set_setting(store, "pause_reasons", json.dumps([{"code": "coaching"}]))
    commit_pending(store)
    engine.configuration.load()                         # a reason dropped from the list cannot be chosen any more
    assert set(engine.acd.pause_reasons) == {"coaching", "no-answer"}
    with pytest.raises(CommandError):
        carry_out(engine.commands, 1, parse("*432"))


def test_a_feature_code_logs_in_to_the_agents_queues_and_the_store_keeps_it(store):
    from firmware.engine.calls.feature_call import carry_out
    from firmware.engine.calls.feature_codes import parse
    engine = engine_on(store)
    queries.logout_agent(store, 1)
    engine.configuration.load()
    with pytest.raises(CommandError, match="not a member of any queue"):     # logged in by hand, never a member
        carry_out(engine.commands, 1, parse("*41"))
    queries.add_queue_member(store, 1, 1)
    assert carry_out(engine.commands, 1, parse("*41")) == "queues=[1]"
    assert queries.logged_in_queue_ids(store, 1) == [1] and engine.acd.agents[1].queue_ids == {1}
    carry_out(engine.commands, 1, parse("*42"))
    assert queries.logged_in_queue_ids(store, 1) == [] and not engine.acd.agents[1].queue_ids


def test_a_wrap_up_waiting_for_a_classification_ends_when_the_phone_classifies_the_call(store):
    from firmware.engine.calls.feature_call import carry_out
    from firmware.engine.calls.feature_codes import parse
    queries.update_queue(store, 1, settings={"disposition_required": True})       # and no wrap-up time
    call_id = queries.open_call(store, "+46701", "4930100")
    commit_pending(store)
    engine = engine_on(store)
    acd, now = engine.acd, time.monotonic()
    acd.call_arrived(call_id, 1, now)
    acd.tick(now)                                # rings agent 1 (taken here: no SIP in this test)
    acd.agent_answered(call_id, 1, now)
    queries.update_call(store, call_id, agent_id=1, answered_at=time.time())
    acd.call_ended(call_id, 1, now)
    assert acd.agents[1].state is AgentState.WRAP_UP and acd.agents[1].unclassified_call == call_id
    with pytest.raises(CommandError, match=f"call {call_id} must be classified first"):
        engine.commands.wrapup_end(agent_id=1)
    assert carry_out(engine.commands, 1, parse("*462")) == f"call={call_id} disposition=follow-up"
    assert acd.agents[1].state is AgentState.IDLE
    call = queries.get_call(store, call_id)
    assert (call["disposition"], call["disposition_by"]) == ("follow-up", "1001")
    with pytest.raises(CommandError, match="there is no disposition 7"):
        carry_out(engine.commands, 1, parse("*467"))


def test_logins_and_pauses_are_kept_for_the_agents_time_and_closed_after_a_crash(store):
    from firmware.stats.agent_time import agent_time
    queries.set_setting(store, "pause_reasons", json.dumps([{"code": "coaching", "billable": True}]))
    commit_pending(store)
    engine = engine_on(store)                    # agent 1 is logged in from the store
    engine.commands.agent_pause(agent_id=1, reason="coaching")
    commit_pending(store)
    rows = queries.agent_activity(store, 1, 0, time.time() + 1)
    assert [(r["activity"], r["reason"], r["billable"]) for r in rows] == [("login", "", 0), ("pause", "coaching", 1)]
    # The engine dies paused: the next start ends the pause and the login it left open.
    assert queries.close_open_agent_activity(store, time.time() + 60) == 2
    rows = queries.agent_activity(store, 1, 0, time.time() + 61)
    assert [(r["activity"], r["reason"]) for r in rows][-2:] == [("pause-end", "coaching"), ("logout", "engine-restart")]
    figures = agent_time(rows, 0, time.time() + 3600)
    assert 59 < figures.billable_paused == figures.paused["coaching"] < 61 and 59 < figures.logged_in < 61
    assert queries.close_open_agent_activity(store, time.time() + 70) == 0          # nothing left open
