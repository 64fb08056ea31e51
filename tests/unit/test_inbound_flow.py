"""A trunk's call through the real engine on in-memory legs (firmware/engine/memory_leg.py): no SIP,
no RTP, no pjmedia. The welcome plays, the call queues, the agent's phone rings with the call's
details, the agent answers, the two are bridged and recorded, a hang-up ends both legs, and the
call's record (CDR, queue events, recording) is written."""

from __future__ import annotations

import time

import pytest

from firmware import live_status
from firmware.acd import AgentState
from firmware.config import BoxConfig
from firmware.engine.engine import Engine
from firmware.engine.numbers import WORDS
from firmware.engine.prompts import PLAYLIST_END, TEXTS
from firmware.engine.memory_leg import MemoryHub, MemoryLeg, MemoryUa, write_silence
from firmware.engine.sipmsg import OFFER_INPUT_HEADER, OFFER_QUEUE_HEADER
from firmware.store import commit_pending, open_store, queries
from firmware.store import events as eventlog

PROMPTS = [*TEXTS["en"], *WORDS["en"], PLAYLIST_END]


def invite(number: str = "4930100", caller: str = "+46701234567") -> bytes:
    """An INVITE as the edge hands it on from the trunk at 10.0.0.9:5070 (no SDP: a delayed offer)."""
    return (f"INVITE sip:{number}@127.0.0.1:5080 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
            f"From: <sip:{caller}@10.0.0.9>;tag=a1\r\nTo: <sip:{number}@127.0.0.1>\r\n"
            "Call-ID: flow-1@10.0.0.9\r\nCSeq: 1 INVITE\r\n"
            "X-Callbox-Source: 10.0.0.9:5070\r\nContent-Length: 0\r\n\r\n").encode()


@pytest.fixture
def box(tmp_path, monkeypatch):
    """A box with trunk 10.0.0.9:5070, number 4930100 to queue "support", agent 1001 logged in, and
    prompts of a tenth of a second each; its engine started on memory legs."""
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    prompts = tmp_path / "prompts"
    for name in PROMPTS:
        write_silence(prompts / "en" / f"{name}.wav")
    monkeypatch.setenv("CALLBOX_PROMPTS", str(prompts))
    store = open_store(tmp_path / "callbox.db", group_commit=True)
    queries.create_trunk(store, "carrier", "peer", "10.0.0.9:5070")
    queue = queries.create_queue(store, "support")
    agent = queries.create_agent(store, "Ann", "1001", "sip-secret")
    queries.add_queue_member(store, queue["id"], agent["id"])
    queries.login_agent(store, agent["id"], [queue["id"]])
    queries.create_inbound_route(store, "4930100", queue["id"])
    commit_pending(store)
    engine = Engine(BoxConfig.from_env(), store)
    ua = MemoryUa()
    engine.start(ua=ua, hub=MemoryHub(), edge=False, control=False)
    commit_pending(store)
    yield engine, ua
    engine.stop()
    store.close()


def turn_until(engine: Engine, done, seconds: float = 3.0):
    """Turns the engine's loop until `done()` holds (waiting for an event, not for a time)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the engine never got there"
        engine.turn()
    return done()


def call_in(engine: Engine) -> tuple[MemoryLeg, int]:
    caller = MemoryLeg("caller")
    engine.incoming_call(caller, invite())
    engine.turn()
    assert caller.answered_by_box
    (call_id,) = engine.sessions
    caller.media_starts()
    return caller, call_id


def test_a_call_is_queued_rung_bridged_recorded_and_written(box):
    engine, ua = box
    caller, call_id = call_in(engine)
    assert caller.played[0][0].endswith("en/welcome.wav")
    caller.press("7")                                   # keyed in during the welcome: shown to the agent

    agent_phone = turn_until(engine, lambda: next((leg for leg in ua.placed if leg.target == "1001"), None))
    assert engine.sessions[call_id].phase == "queued"
    assert agent_phone.headers[OFFER_QUEUE_HEADER] == "support" and agent_phone.headers[OFFER_INPUT_HEADER] == "7"
    assert agent_phone.shown_as.startswith('"support #7" <sip:+46701234567@')
    assert engine.acd.agents[1].state is AgentState.RINGING

    agent_phone.far_answers()
    assert engine.acd.agents[1].state is AgentState.BUSY
    session = engine.sessions[call_id]
    assert session.phase == "talking" and session.bridge is not None
    hub = engine.hub
    roles = sorted(role for _, role, _ in hub.joined.values())
    assert roles == ["agent", "customer"] and hub.attached[caller.hub_legs[0]] is caller
    assert engine.commands.status()["calls"][0]["agent_id"] == 1
    assert live_status.conforms(engine.commands.status())

    caller.far_hangs_up()
    assert agent_phone.disconnected and caller.released and agent_phone.released
    assert call_id not in engine.sessions and not hub.joined and not hub.conferences
    commit_pending(engine.store)
    call = queries.get_call(engine.store, call_id)
    assert (call["outcome"], call["cause"], call["agent"], call["queue"], call["caller_input"]) == \
        ("answered", "caller-hangup", "1001", "support", "7")
    assert call["answered_at"] is not None and call["talk_seconds"] is not None
    assert [e["event"] for e in queries.list_queue_events(engine.store, call_id)] == \
        ["enter", "ring", "answer", "complete"]
    logged = eventlog.of_call(engine.store, call_id)      # the event log, with what reports need
    assert [(e["event"], e["queue_id"], e["agent_id"]) for e in logged] == \
        [("enter", 1, None), ("ring", 1, 1), ("answer", 1, 1), ("complete", 1, 1)]
    enter, _, answer, complete = (e["data"] for e in logged)
    assert enter == {"caller": "+46701234567", "caller_input": "7", "position": 1}
    assert answer["original_position"] == 1 and 0 <= answer["ring_seconds"] <= answer["wait_seconds"] < 3
    assert complete["by"] == "caller" and complete["wait_seconds"] == answer["wait_seconds"]
    assert 0 <= complete["talk_seconds"] < 3
    turn_until(engine, lambda: queries.get_recording(engine.store, call["recording_id"])["duration_seconds"])
    recording = queries.get_recording(engine.store, call["recording_id"])
    assert recording["channels"] == 2 and recording["duration_seconds"] == pytest.approx(0.1)
    assert engine.acd.agents[1].state in (AgentState.WRAP_UP, AgentState.IDLE)


def test_a_busy_phone_is_an_unanswered_offer_and_the_caller_who_hangs_up_abandons(box):
    engine, ua = box
    caller, call_id = call_in(engine)
    first = turn_until(engine, lambda: next((leg for leg in ua.placed if leg.target == "1001"), None))
    first.far_hangs_up(486)
    assert first.released and not engine.sessions[call_id].offers
    caller.far_hangs_up()
    commit_pending(engine.store)
    call = queries.get_call(engine.store, call_id)
    assert (call["outcome"], call["cause"], call["agent_id"]) == ("abandoned", "caller-hangup", None)
    events = queries.list_queue_events(engine.store, call_id)
    assert [e["event"] for e in events] == ["enter", "ring", "noanswer", "abandon"]
    assert events[2]["detail"] == "busy (sip 486)"
    logged = eventlog.of_call(engine.store, call_id)
    assert [(e["event"], e["agent_id"]) for e in logged] == [("enter", None), ("ring", 1), ("noanswer", 1),
                                                             ("abandon", None)]
    assert logged[2]["data"]["reason"] == "busy" and logged[2]["data"]["sip_status"] == 486
    abandon = logged[3]["data"]
    assert (abandon["position"], abandon["original_position"]) == (1, 1) and 0 <= abandon["wait_seconds"] < 3


def test_an_unknown_number_is_refused_and_kept_as_failed(box):
    engine, ua = box
    caller = MemoryLeg("caller")
    engine.incoming_call(caller, invite(number="4930999"))
    engine.turn()
    assert caller.disconnected and caller.last_status == 404 and not engine.sessions
    call = queries.list_calls(engine.store)[0]
    assert (call["callee"], call["outcome"], call["cause"]) == ("4930999", "failed", "unknown-number")


def test_a_call_still_up_when_the_engine_stops_is_closed(box):
    engine, ua = box
    caller, call_id = call_in(engine)
    engine.stop()
    engine.stop = lambda: None          # the fixture's stop has been done
    call = queries.get_call(engine.store, call_id)
    assert caller.disconnected and (call["outcome"], call["cause"]) == ("failed", "engine-stop")


def test_a_reload_tells_the_edge_from_the_edge_thread(box, monkeypatch):
    from firmware.edge.kamailio import reload_trunk_addresses
    engine, _ = box

    class EdgeThread:
        version, tasks = 0, []

        def submit(self, task):
            self.tasks.append(task)

    engine.registrations = edge = EdgeThread()
    assert engine.commands.reload() == {"reloaded": True}
    assert edge.tasks == [reload_trunk_addresses]      # queued for the edge's thread, not run in the loop
    engine.registrations = None
