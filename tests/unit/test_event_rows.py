"""The event log (issue 12, item 1): append-only in the store, agents' events written by the engine
from the ACD's activity, what a dead engine left open closed at the next start, and the export as
Asterisk's queue_log checked line by line on a hand-made log."""

from __future__ import annotations

import sqlite3
import time

import pytest

from firmware.config import BoxConfig
from firmware.engine import call_record
from firmware.engine.engine import Engine
from firmware.stats.queue_log import queue_log
from firmware.store import commit_pending, events, open_store, queries


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    queue = queries.create_queue(conn, "support", settings={"wrapup": 30})
    agent = queries.create_agent(conn, "Ann", "1001", "sip-secret")
    queries.add_queue_member(conn, queue["id"], agent["id"])
    queries.login_agent(conn, agent["id"], [queue["id"]])
    commit_pending(conn)
    yield conn
    conn.close()


def test_the_log_is_append_only(store):
    events.append(store, "login", agent_id=1, at=100.0)
    commit_pending(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE events SET at = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM events")
    store.rollback()
    with pytest.raises(ValueError, match="unknown event"):
        events.append(store, "coffee", agent_id=1)


def test_a_time_range_is_read_in_pages_in_the_order_written(store):
    for n in range(5):
        events.append(store, "ring", call_id=n + 1, queue_id=1, agent_id=1, at=1000.0 + n)
    events.append(store, "ring", call_id=9, queue_id=1, agent_id=1, at=999.0)       # before the range
    commit_pending(store)
    first = events.between(store, 1000.0, 1004.0, limit=2)
    assert [e["call_id"] for e in first] == [1, 2]
    rest = events.between(store, 1000.0, 1004.0, after_id=first[-1]["id"], limit=10)
    assert [e["call_id"] for e in rest] == [3, 4]
    assert store.execute("EXPLAIN QUERY PLAN SELECT * FROM events WHERE at >= 1 AND at < 2").fetchall()[0][3] \
        .startswith("SEARCH events USING INDEX events_at")


def test_agents_events_come_from_the_acd_through_the_engine(store):
    engine = Engine(BoxConfig.from_env(), store)      # agent 1 logged in from the store
    engine.commands.agent_pause(agent_id=1, reason="lunch")
    engine.commands.agent_unpause(agent_id=1)
    engine.commands.agent_logout(agent_id=1)
    commit_pending(store)
    logged = [(e["event"], e["agent_id"], e["queue_id"], e["data"]) for e in events.between(store, 0, time.time() + 1)]
    assert logged == [("join", 1, 1, {}), ("login", 1, None, {}), ("pause", 1, None, {"reason": "lunch"}),
                      ("unpause", 1, None, {"reason": "lunch"}), ("leave", 1, 1, {}), ("logout", 1, None, {})]


def test_wrap_up_is_logged_and_a_dead_engines_agents_and_calls_are_closed_at_start(store):
    engine = Engine(BoxConfig.from_env(), store)
    engine.settle()                                   # the login's events
    acd, now = engine.acd, time.monotonic()
    call = call_record.CallRecord.open(store, "+4670", "4930100", queue_id=1)
    call.queued(1, "", caller="+4670", position=1)
    acd.call_arrived(call.call_id, 1, now)
    assert "RingAgent" in [type(a).__name__ for a in acd.tick(now)]    # (no phone: not carried out)
    acd.agent_answered(call.call_id, 1, now)
    call.answered(1)
    call.event("answer", 1, 1)
    acd.call_ended(call.call_id, 1, now)              # the agent is in wrap-up: 30 s
    engine.commands.agent_pause(agent_id=1, reason="lunch")   # ... and pauses after it
    engine.settle()
    commit_pending(store)
    assert [e["event"] for e in events.between(store, 0, time.time() + 1)][-2:] == ["answer", "wrapup"]

    # The engine dies here with the wrap-up open (its pause only pending) and the call open.
    assert call_record.close_lost_calls(store, "engine-restart") == [call.call_id]
    assert call_record.close_open_agents(store) == 3
    closing = [(e["event"], e["queue_id"], e["data"]) for e in events.between(store, 0, time.time() + 1)][-4:]
    assert closing == [("fail", 1, {"answered": True, "cause": "engine-restart"}), ("wrapup-end", None, {}),
                       ("leave", 1, {}), ("logout", None, {"reason": "engine-restart"})]
    assert call_record.close_open_agents(store) == 0                     # nothing left open


def _log(*rows):
    return [{"id": n, "at": at, "event": event, "call_id": call, "queue_id": queue, "agent_id": agent, "data": data}
            for n, (at, event, call, queue, agent, data) in enumerate(rows, 1)]


def test_the_queue_log_export_says_what_asterisk_would():
    log = _log(
        (100.0, "join", None, 1, 7, {}),
        (101.2, "enter", 5, 1, None, {"caller": "+46|70\n1", "caller_input": "", "position": 2}),
        (102.0, "ring", 5, 1, 7, {}),
        (117.0, "noanswer", 5, 1, 7, {"ring_seconds": 15.0, "reason": "timeout", "sip_status": None}),
        (118.0, "ring", 5, 1, 7, {}),
        (121.0, "answer", 5, 1, 7, {"wait_seconds": 19.8, "ring_seconds": 3.0, "original_position": 2}),
        (181.0, "complete", 5, 1, 7, {"by": "caller", "wait_seconds": 19.8, "talk_seconds": 60.0,
                                      "original_position": 2}),
        (182.0, "wrapup", None, None, 7, {}),
        (190.0, "enter", 6, 1, None, {"caller": "+4930", "caller_input": "", "position": 1}),
        (194.0, "abandon", 6, 1, None, {"position": 1, "original_position": 1, "wait_seconds": 4.0}),
        (200.0, "enter", 8, 1, None, {"caller": "+4940", "caller_input": "", "position": 1}),
        (260.0, "overflow", 8, 1, None, {"reason": "max-wait", "destination": "voicemail", "target": None,
                                         "position": 1, "original_position": 1, "wait_seconds": 60.0}),
        (300.0, "pause", None, None, 7, {"reason": "lunch"}),
        (330.0, "unpause", None, None, 7, {"reason": "lunch"}),
        (400.0, "enter", 9, 1, None, {"caller": "+4950", "caller_input": "", "position": 1}),
        (402.0, "answer", 9, 1, 7, {"wait_seconds": 2.0, "ring_seconds": 1.0, "original_position": 1}),
        (432.0, "fail", 9, 1, 7, {"cause": "engine-restart", "answered": True}),
        (500.0, "leave", None, 1, 7, {}),
    )
    assert list(queue_log(log, {1: "support"}, {7: "1001"})) == [
        "100|NONE|support|Agent/1001|ADDMEMBER",
        "101|5|support|NONE|ENTERQUEUE||+46701",
        "117|5|support|Agent/1001|RINGNOANSWER|15000",
        "121|5|support|Agent/1001|CONNECT|20|5-7|3",
        "181|5|support|Agent/1001|COMPLETECALLER|20|60|2",
        "190|6|support|NONE|ENTERQUEUE||+4930",
        "194|6|support|NONE|ABANDON|1|1|4",
        "200|8|support|NONE|ENTERQUEUE||+4940",
        "260|8|support|NONE|EXITWITHTIMEOUT|1|1|60",
        "300|NONE|support|Agent/1001|PAUSE|lunch",
        "330|NONE|support|Agent/1001|UNPAUSE|lunch",
        "400|9|support|NONE|ENTERQUEUE||+4950",
        "402|9|support|Agent/1001|CONNECT|2|9-7|1",
        "432|9|support|Agent/1001|COMPLETEAGENT|2|30|1",
        "500|NONE|support|Agent/1001|REMOVEMEMBER",
    ]
