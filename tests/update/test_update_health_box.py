"""The health check that decides a trial, asked of a real running box (kamailio, engine, web under
supervisord, SQLite) in the slot world: healthy, the new slot is kept; the engine down, the box rolls
back and the old firmware gets the database as it left it."""

from __future__ import annotations

import sqlite3

import pytest

from firmware.update import boot, health, state
from firmware.update.install import install_bundle
from tests.integration.box import Box
from tests.update.world import grubenv_read


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Box.create(tmp_path_factory.mktemp("box"))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def on_box(world, box, monkeypatch):
    for name in ("CALLBOX_DATA", "CALLBOX_SIP_PORT", "CALLBOX_WEB_PORT"):
        monkeypatch.setenv(name, box.env[name])
    monkeypatch.setenv("CALLBOX_BIND", "127.0.0.1")
    monkeypatch.delenv("CALLBOX_TLS_CERT", raising=False)
    for name in ("pending", "trial", "last"):
        state.clear(name)
    assert boot.prepare() == "ordinary"
    assert install_bundle(world.bundle("new", "1.1.0")).ok
    assert world.reboot() == "B" and boot.prepare() == "trial"
    return world


def test_the_running_box_passes_and_its_trial_is_kept(box, on_box):
    results = health.check_all()
    assert all(check.ok for check in results), health.summary(results)
    assert boot.confirm(deadline_s=10, reboot=lambda: pytest.fail("a healthy box rebooted"))
    assert grubenv_read(on_box.grubenv)["B_OK"] == "1"
    assert state.read("last")["ok"] is True


def test_the_engine_down_fails_the_trial_and_the_box_rolls_back(box, on_box):
    database = box.data / "callbox.db"
    box.supervisorctl("stop", "engine")
    rebooted = []
    assert not boot.confirm(deadline_s=3, reboot=lambda: rebooted.append(True))
    assert rebooted
    trial = state.read("trial")
    assert "engine: engine socket" in trial["message"] and "edge: ok" in trial["message"], trial
    box.stop()
    # the new firmware had migrated the database during its trial
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE only_in_1_1 (id INTEGER PRIMARY KEY)")
    assert on_box.reboot() == "A"
    assert boot.prepare() == "rolled-back"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "only_in_1_1" not in tables and "agents" in tables
    assert "failed its health check" in state.read("last")["message"]
