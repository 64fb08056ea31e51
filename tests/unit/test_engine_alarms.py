"""The engine keeps the ACD's alarms in the store across its own restarts (no SIP needed): one still
true is raised again into the same row, one no longer true is cleared after a grace period."""

from __future__ import annotations

import time

import pytest

from firmware.acd import ClearAlarm, RaiseAlarm
from firmware.config import BoxConfig
from firmware.engine.alarm_book import ALARM_GRACE
from firmware.engine.engine import Engine
from firmware.store import commit_pending, open_store, queries


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    yield conn
    conn.close()


def test_raised_and_cleared_alarms_are_kept(store):
    engine = Engine(BoxConfig.from_env(), store)
    engine.act([RaiseAlarm("few-agents", "queue 1", "0 agents logged in")])
    assert [(a["name"], a["detail"]) for a in queries.open_alarms(store)] == [("few-agents", "0 agents logged in")]
    engine.act([ClearAlarm("few-agents", "queue 1")])
    commit_pending(store)
    assert queries.open_alarms(store) == [] and queries.list_alarms(store)[0]["cleared_at"] is not None


def test_after_a_restart_an_alarm_raised_again_stays_one_and_a_stale_one_ends(store, monkeypatch):
    queries.raise_alarm(store, "few-agents", "queue 1", "0 agents logged in")
    queries.raise_alarm(store, "long-wait", "queue 2", "longest wait 400 s")
    commit_pending(store)
    engine = Engine(BoxConfig.from_env(), store)
    engine.alarms.take_over(time.monotonic())
    engine.act([RaiseAlarm("few-agents", "queue 1", "0 agents logged in")])     # still true
    now = time.monotonic()
    engine.alarms.settle(now)                                      # within the grace period
    assert len(queries.open_alarms(store)) == 2
    engine.alarms.settle(now + ALARM_GRACE + 1)
    commit_pending(store)
    (still,) = queries.open_alarms(store)
    assert (still["name"], still["subject"]) == ("few-agents", "queue 1")
    ended = next(a for a in queries.list_alarms(store) if a["name"] == "long-wait")
    assert ended["cleared_detail"] == "not raised again after the engine restarted"
    assert len(queries.list_alarms(store)) == 2                                 # no second row


def test_the_engines_first_turn_checks_the_data_partition_and_keeps_its_alarm_across_a_restart(store):
    """The disk-full alarm (issue 10, item 8) open before a restart is raised again at the new
    engine's first turn (inside the grace), into the same row, and shown in the live status."""
    from collections import namedtuple

    from firmware.engine.disk_guard import ALARM, SUBJECT
    from firmware.engine.memory_leg import MemoryHub, MemoryUa

    queries.raise_alarm(store, ALARM, SUBJECT, "data partition 91% full, 90 MB free")
    commit_pending(store)
    engine = Engine(BoxConfig.from_env(), store)
    usage = namedtuple("Usage", "total used free")
    engine.disk.usage = lambda path: usage(1000, 910, 90)
    engine.start(ua=MemoryUa(), hub=MemoryHub(), edge=False, control=False)
    engine.turn()
    engine.alarms.settle(time.monotonic() + ALARM_GRACE + 1)
    commit_pending(store)
    (alarm,) = queries.list_alarms(store)
    assert alarm["cleared_at"] is None and alarm["detail"] == "data partition 91% full, 0 MB free"
    assert [a["name"] for a in engine.commands.status()["alarms"]] == [ALARM]
    engine.stop()
