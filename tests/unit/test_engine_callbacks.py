"""The engine's side of the callback list (ACD14), without SIP: the caller's wanted interval saved in
wall time and restored on the ACD's clock, and the handler's commands requeue and call now.

The engine is built on a real store; only the session that would ring a phone is replaced."""

from __future__ import annotations

import time

import pytest

from firmware.acd import PlaceCallback
from firmware.config import BoxConfig
from firmware.engine import engine as engine_module
from firmware.engine.control import CommandError
from firmware.engine.engine import Engine
from firmware.store import commit_pending, open_store, queries

HOUR = 3600.0


class PhoneThatRings:
    """Stands in for CallbackSession: records which extension it would ring."""

    started: list[tuple[int, str]] = []

    def __init__(self, host, record, agent_id: int, number: str, queue_id: int | None):
        self.call_id, self.agent_id = record.call_id, agent_id

    def start(self, extension: str) -> None:
        PhoneThatRings.started.append((self.call_id, extension))


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    monkeypatch.setattr(engine_module, "CallbackSession", PhoneThatRings)
    PhoneThatRings.started = []
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    yield conn
    conn.close()


@pytest.fixture
def center(store):
    """A queue whose unanswered callbacks wait an hour before they are tried again, and agent 1001."""
    queue = queries.create_queue(store, "support", settings={"callback": {"retry_delay": HOUR, "max_attempts": 3}})
    agent = queries.create_agent(store, "Ann", "1001", "sip-secret")
    return {"queue": queue["id"], "agent": agent["id"]}


def start_engine(store) -> Engine:
    """An engine as after `start()` without SIP: the open callbacks restored, written as by a turn."""
    engine = Engine(BoxConfig.from_env(), store)
    engine.callback_book.restore_all(engine.configuration.queues)
    commit_pending(store)
    return engine


def ask_for_callback(engine: Engine, queue_id: int, interval=None) -> int:
    """A caller queues and asks to be called back; the engine stores the request."""
    call_id = queries.open_call(engine.store, "+46701234567", "4930100")
    now = time.monotonic()
    engine.acd.call_arrived(call_id, queue_id, now, "+46701234567")
    engine.acd.callback_requested(call_id, now, interval=interval)
    engine.act()
    return call_id


def restart(engine: Engine) -> Engine:
    commit_pending(engine.store)
    return start_engine(engine.store)


def stored(store, call_id: int) -> dict:
    return queries.get_callback(store, call_id)


# --- the wanted interval across a restart -------------------------------------------------------------

def test_a_chosen_interval_is_stored_in_wall_time_and_restored_on_the_acds_clock(store, center):
    engine = start_engine(store)
    now, wall = time.monotonic(), time.time()
    call_id = ask_for_callback(engine, center["queue"], interval=(now + HOUR, now + 2 * HOUR))
    row = stored(store, call_id)
    assert row["wanted_from"] == pytest.approx(wall + HOUR, abs=1.0)
    assert row["wanted_until"] == pytest.approx(wall + 2 * HOUR, abs=1.0)

    restored = restart(engine).acd.callbacks[call_id]
    assert not restored.keeps_place
    start, end = restored.interval
    assert (start, end) == (pytest.approx(now + HOUR, abs=1.0), pytest.approx(now + 2 * HOUR, abs=1.0))


def test_an_interval_from_now_without_end_stays_a_chosen_interval(store, center):
    """The case the engine used to guess wrong: it looks like no choice, but the caller made one."""
    engine = start_engine(store)
    wall = time.time()
    call_id = ask_for_callback(engine, center["queue"], interval=(time.monotonic(), None))
    row = stored(store, call_id)
    assert row["wanted_from"] == pytest.approx(wall, abs=1.0) and row["wanted_until"] is None
    restored = restart(engine).acd.callbacks[call_id]
    assert not restored.keeps_place and restored.interval[1] is None


def test_a_callback_without_a_chosen_interval_keeps_its_place_across_a_restart(store, center):
    engine = start_engine(store)
    call_id = ask_for_callback(engine, center["queue"])
    row = stored(store, call_id)
    assert (row["wanted_from"], row["wanted_until"]) == (None, None)
    assert restart(engine).acd.callbacks[call_id].keeps_place


# --- requeue -------------------------------------------------------------------------------------

def unanswered_callback(store, center) -> tuple[Engine, int]:
    """A callback placed to agent 1001, whose customer did not answer: back in line for an hour."""
    queries.login_agent(store, center["agent"], [center["queue"]])
    engine = start_engine(store)
    call_id = ask_for_callback(engine, center["queue"])
    engine.act(engine.acd.tick(time.monotonic()))
    assert PhoneThatRings.started == [(call_id, "1001")]
    engine.acd.agent_answered(call_id, center["agent"], time.monotonic())
    engine.callbacks.pop(call_id)                 # the session ends (the customer did not answer)
    engine.acd.callback_result(call_id, False, time.monotonic())
    engine.act()
    return engine, call_id


def requeue(engine: Engine, call_id: int, **args) -> dict:
    return engine.commands.callback_requeue(**{"call_id": call_id, "text": "try now", "author": "ann", **args})


def test_requeue_after_no_answer_makes_the_next_attempt_now(store, center):
    engine, call_id = unanswered_callback(store, center)
    assert engine.acd.callbacks[call_id].status == "no-answer" and call_id in engine.acd.waiting
    assert not [a for a in engine.acd.tick(time.monotonic() + 60) if isinstance(a, PlaceCallback)]

    answer = requeue(engine, call_id, agent_id=center["agent"])
    assert answer["log"] == "requeued by ann: try now" and answer["last_handler"] == center["agent"]
    assert stored(store, call_id)["log"][-1] == "requeued by ann: try now"
    placed = [a for a in engine.acd.tick(time.monotonic()) if isinstance(a, PlaceCallback)]
    assert [(a.call_id, a.agent_id) for a in placed] == [(call_id, center["agent"])]


def test_a_failed_callback_can_be_requeued_after_a_restart(store, center):
    """Failed callbacks are not restored at start; acting on one brings it back into the ACD."""
    engine, call_id = unanswered_callback(store, center)
    engine.acd.callback_cancel(call_id, time.monotonic())      # out of line, then marked failed as
    queries.update_callback(store, call_id, status="failed", attempts=3, last_handler=None,
                            log=["no answer after 3 attempts"])  # after its last attempt
    engine = restart(engine)
    assert call_id not in engine.acd.callbacks
    answer = requeue(engine, call_id)
    assert answer["status"] == "waiting" and answer["log"] == "requeued by ann: try now"
    assert stored(store, call_id)["status"] == "waiting"
    placed = [a for a in engine.acd.tick(time.monotonic()) if isinstance(a, PlaceCallback)]
    assert [a.call_id for a in placed] == [call_id]


def test_a_waiting_callback_is_not_requeued(store, center):
    engine = start_engine(store)
    call_id = ask_for_callback(engine, center["queue"])
    with pytest.raises(CommandError, match="is waiting: only one with no answer or failed is requeued"):
        requeue(engine, call_id)
    assert engine.acd.callbacks[call_id].log == ["requested by the caller"]     # no note without the action


# --- click to call -------------------------------------------------------------------------------

def call_now(engine: Engine, call_id, agent_id) -> dict:
    return engine.commands.callback_call_now(**{"call_id": call_id, "agent_id": agent_id, "author": "ann"})


def test_call_now_rings_the_agent_ahead_of_the_callers_interval(store, center):
    queries.login_agent(store, center["agent"], [center["queue"]])
    engine = start_engine(store)
    now = time.monotonic()
    call_id = ask_for_callback(engine, center["queue"], interval=(now + HOUR, None))
    engine.act(engine.acd.tick(now))
    assert PhoneThatRings.started == []                         # not before the caller's interval

    answer = call_now(engine, call_id, center["agent"])
    assert PhoneThatRings.started == [(call_id, "1001")]
    assert (answer["status"], answer["last_handler"], answer["log"]) == \
        ("calling", center["agent"], f"called now by agent {center['agent']}")
    commit_pending(store)
    row = stored(store, call_id)
    assert (row["status"], row["last_handler"]) == ("calling", center["agent"])
    entry = queries.list_audit(store)[0]
    assert (entry["actor"], entry["action"], entry["detail"]) == \
        ("ann", "callback.call", f"call={call_id} agent={center['agent']}")


def test_call_now_answers_why_it_cannot(store, center):
    other = queries.create_agent(store, "Bo", "1002", "sip-secret")["id"]
    engine = start_engine(store)
    call_id = ask_for_callback(engine, center["queue"])
    with pytest.raises(CommandError, match=f"agent {center['agent']} is not logged in to queue"):
        call_now(engine, call_id, center["agent"])
    with pytest.raises(CommandError, match="unknown agent 99"):
        call_now(engine, call_id, 99)
    with pytest.raises(CommandError, match="no callback 12345 in the engine"):
        call_now(engine, 12345, other)
    assert PhoneThatRings.started == []
    assert stored(store, call_id)["status"] == "waiting" and queries.list_audit(store) == []
