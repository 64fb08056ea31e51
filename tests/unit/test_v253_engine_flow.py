"""An analog caller through the real engine (memory SIP legs and hub) on a real pty: the simulated
modem rings with caller ID, the engine answers through the fxo trunk's line, the call queues by the
trunk's number, the agent answers, the caller hangs up by loop break and the CDR closes; a callback
leaves by the line the call came in on and the modem dials the number; a line that stays down raises
trunk-down and clears it once it is back."""

from __future__ import annotations

import time

import pytest

from firmware.cards.modem_sim import ModemSimulator
from firmware.cards.tdm_leg import CardTrunks
from firmware.cards.tdm_media import MemoryTdmMedia
from firmware.config import BoxConfig
from firmware.engine.engine import Engine
from firmware.engine.memory_leg import MemoryHub, MemoryUa, write_silence
from firmware.engine.numbers import WORDS
from firmware.engine.prompts import PLAYLIST_END, TEXTS
from firmware.store import commit_pending, open_store, queries

PROMPTS = [*TEXTS["en"], *WORDS["en"], PLAYLIST_END]


@pytest.fixture(params=["conexant", "usr", "rockwell"])
def box(request, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    prompts = tmp_path / "prompts"
    for name in PROMPTS:
        write_silence(prompts / "en" / f"{name}.wav")
    monkeypatch.setenv("CALLBOX_PROMPTS", str(prompts))
    sim = ModemSimulator(tmp_path / "ttyFXO0", request.param, ring_interval=0.3).start()
    store = open_store(tmp_path / "callbox.db", group_commit=True)
    queries.create_trunk(store, "analog", "fxo", "", device=str(sim.link), dialect="auto", number="4930100")
    queue = queries.create_queue(store, "support")
    agent = queries.create_agent(store, "Ann", "1001", "sip-secret")
    queries.add_queue_member(store, queue["id"], agent["id"])
    queries.login_agent(store, agent["id"], [queue["id"]])
    queries.create_inbound_route(store, "4930100", queue["id"])
    commit_pending(store)
    engine = Engine(BoxConfig.from_env(), store)
    ua = MemoryUa()
    cards = CardTrunks(engine.incoming_card_call, engine.alarms.apply, media_factory=MemoryTdmMedia)
    engine.start(ua=ua, hub=MemoryHub(), edge=False, control=False, cards=cards)
    commit_pending(store)
    turn_until(engine, lambda: all(line.up for line in cards.lines.values()))
    yield engine, ua, sim
    engine.stop()
    sim.stop()
    store.close()


def turn_until(engine: Engine, done, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not (result := done()):
        assert time.monotonic() < deadline, "the engine never got there"
        engine.turn()
    return result


def test_an_analog_caller_reaches_the_agent_and_hangs_up_by_loop_break(box):
    engine, ua, sim = box
    sim.tone(700)
    sim.ring("0701234567", "Ann Berg")
    session = turn_until(engine, lambda: next(iter(engine.sessions.values()), None))
    call_id = session.call_id
    turn_until(engine, lambda: sim.off_hook)                       # answered by the box
    agent_phone = turn_until(engine, lambda: next((leg for leg in ua.placed if leg.target == "1001"), None))
    assert agent_phone.shown_as.startswith('"support" <sip:0701234567@')
    agent_phone.far_answers()
    assert engine.sessions[call_id].phase == "talking"
    (line,) = engine.cards.lines.values()
    media = line.media
    turn_until(engine, lambda: len(media.said) > 8000)             # the line's audio reaches the media
    sim.loop_break()
    turn_until(engine, lambda: call_id not in engine.sessions)
    assert agent_phone.disconnected and media.closed
    commit_pending(engine.store)
    call = queries.get_call(engine.store, call_id)
    assert (call["caller"], call["callee"], call["outcome"], call["cause"]) == \
        ("0701234567", "4930100", "answered", "caller-hangup")
    turn_until(engine, lambda: not sim.off_hook)


def test_a_callback_leaves_by_the_line_the_call_came_in_on(box):
    engine, ua, sim = box
    sim.ring("0701234567")
    session = turn_until(engine, lambda: next(iter(engine.sessions.values()), None))
    turn_until(engine, lambda: sim.off_hook)
    assert engine.dial_out(session, "0701234567", session.call_id) is None      # the line has its call
    sim.loop_break()
    turn_until(engine, lambda: not engine.sessions and not sim.off_hook)
    turn_until(engine, lambda: engine.cards.lines and next(iter(engine.cards.lines.values())).driver.state == "idle")

    class Owner:
        answered = ended = False

        def leg_answered(self, leg):
            self.answered = True

        def leg_media(self, leg):
            pass

        def leg_key(self, leg, digit):
            pass

        def leg_ended(self, leg):
            self.ended = True

    owner = Owner()
    leg = engine.dial_out(owner, "0701234567", session.call_id)
    assert leg is not None
    turn_until(engine, lambda: owner.answered)
    assert sim.dialled == ["0701234567"]
    leg.hang_up()
    turn_until(engine, lambda: not sim.off_hook)


@pytest.mark.parametrize("box", ["conexant"], indirect=True)
def test_a_line_down_raises_trunk_down_and_clears_it_when_back(box, monkeypatch):
    from firmware.cards import tdm_leg
    monkeypatch.setattr(tdm_leg, "ALARM_AFTER", 0.5)
    engine, ua, sim = box
    sim.unplug()
    turn_until(engine, lambda: ("trunk-down", "trunk analog") in engine.alarms.open)
    sim.plug()
    turn_until(engine, lambda: ("trunk-down", "trunk analog") not in engine.alarms.open)
    commit_pending(engine.store)
    assert queries.open_alarms(engine.store) == []


@pytest.mark.parametrize("box", ["rockwell"], indirect=True)
def test_the_card_test_over_the_engines_commands_reports_the_line_and_its_dial_tone(box):
    from firmware.cards import line_test
    engine, ua, sim = box
    table = engine.commands.by_name()

    class Client:                       # the console's EngineClient, answered by this engine between turns
        def request(self, cmd, **args):
            for _ in range(20):
                engine.turn()
            return table[cmd](args)

    (trunk,) = engine.configuration.trunks
    result = line_test.run(trunk["id"], Client())
    assert result.startswith("line up (ulaw, full duplex), idle; dial tone after "), result
    assert "ATH1" in sim.commands                   # Rockwell style: off hook by ATH1
    line = engine.commands.trunks()["trunks"][0]["line"]
    assert line["up"] and line["last_check"]["dial_tone"]
    sim.dial_tone = False
    assert "NO dial tone" in line_test.run(trunk["id"], Client(), wait=8.0)
    sim.unplug()
    turn_until(engine, lambda: not engine.commands.trunks()["trunks"][0]["line"]["up"])
    assert line_test.run(trunk["id"], Client()).startswith("line DOWN")


@pytest.mark.parametrize("box", ["usr"], indirect=True)
def test_a_trunk_deleted_during_a_call_ends_it_and_puts_the_line_on_hook_without_holding_the_loop(box):
    engine, ua, sim = box
    sim.ring(CALLER := "0701234567")
    session = turn_until(engine, lambda: next(iter(engine.sessions.values()), None))
    turn_until(engine, lambda: sim.off_hook and engine.cards.lines[1].driver.state == "talking")
    queries.delete_trunk(engine.store, 1)
    commit_pending(engine.store)
    started = time.monotonic()
    engine.reload()
    assert time.monotonic() - started < 0.5 and not engine.cards.lines
    turn_until(engine, lambda: session.call_id not in engine.sessions)
    commit_pending(engine.store)
    assert queries.get_call(engine.store, session.call_id)["caller"] == CALLER
    deadline = time.monotonic() + 3
    while sim.off_hook:
        assert time.monotonic() < deadline, "the modem stayed off hook"
        time.sleep(0.02)
