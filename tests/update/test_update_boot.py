"""The boots after an install (firmware/update/boot.py) in the slot world: the trial kept when the
health check passes; rolled back, with the database as the old firmware left it, when it fails or
when the new slot never gets as far as its check."""

from __future__ import annotations

import sqlite3

from firmware import paths
from firmware.update import boot, health, state
from firmware.update.install import install_bundle
from tests.update.world import grubenv_read

HEALTHY = [health.Check("edge", True, "200 OK"), health.Check("engine", True, "answers")]
SICK = [health.Check("edge", True, "200 OK"), health.Check("engine", False, "engine socket: refused")]


def database_rows() -> list[tuple]:
    with sqlite3.connect(paths.database_path()) as conn:
        return conn.execute("SELECT * FROM calls ORDER BY id").fetchall()


def old_firmware_database() -> None:
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(paths.database_path()) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, caller TEXT)")
        conn.execute("INSERT INTO calls (caller) VALUES ('+46701234567')")


def new_firmware_migrates() -> None:
    with sqlite3.connect(paths.database_path()) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("ALTER TABLE calls ADD COLUMN queue TEXT")
        conn.execute("INSERT INTO calls (caller, queue) VALUES ('+4631123456', 'support')")


def installed_and_rebooted(world) -> None:
    old_firmware_database()
    assert boot.prepare() == "ordinary"
    assert install_bundle(world.bundle("new", "1.1.0")).ok
    assert world.reboot() == "B"
    assert boot.prepare() == "trial"
    assert boot.rollback_copy().exists()
    new_firmware_migrates()


def test_a_healthy_trial_is_kept_and_the_old_slot_is_no_fallback(world):
    installed_and_rebooted(world)
    assert boot.confirm(wait=lambda _: (True, HEALTHY), reboot=lambda: None)
    env = grubenv_read(world.grubenv)
    assert (env["B_OK"], env["B_TRY"], env["A_OK"]) == ("1", "0", "0"), env
    assert state.read("pending") is None and not boot.rollback_copy().exists()
    assert state.read("last")["message"] == "Version 1.1.0 is running and passed its health check."
    assert world.reboot() == "B" and boot.prepare() == "ordinary"
    # a power cut before the next boot's mark-good: GRUB has no other good slot, so B again
    assert world.reboot() == "B" and world.reboot() == "B"
    assert world.version_file.read_text().strip() == "1.1.0"
    assert len(database_rows()) == 2


def test_a_failed_health_check_rolls_back_with_the_data_the_old_firmware_knew(world):
    installed_and_rebooted(world)
    rebooted = []
    assert not boot.confirm(wait=lambda _: (False, SICK), reboot=lambda: rebooted.append(True))
    assert rebooted and grubenv_read(world.grubenv)["B_OK"] == "0"
    assert world.reboot() == "A"
    assert boot.prepare() == "rolled-back"
    assert world.version_file.read_text().strip() == "1.0.0"
    assert database_rows() == [(1, "+46701234567")]
    last = state.read("last")
    assert "Version 1.1.0 was rolled back: it failed its health check (edge: ok; engine: engine socket: refused)" \
        in last["message"], last
    assert "Back on version 1.0.0" in last["message"]
    assert world.reboot() == "A" and boot.prepare() == "ordinary"


def test_a_trial_that_crashes_before_its_check_rolls_back_at_the_next_boot(world):
    installed_and_rebooted(world)
    # no confirm: the new firmware hung or crashed and the watchdog reset the box
    assert world.reboot() == "A"
    assert boot.prepare() == "rolled-back"
    assert database_rows() == [(1, "+46701234567")]
    assert "it did not start" in state.read("last")["message"]
    assert grubenv_read(world.grubenv)["B_OK"] == "0"
    assert world.reboot() == "A"


def test_an_ordinary_boot_clears_the_trial_mark_at_once(world):
    assert grubenv_read(world.grubenv)["A_TRY"] == "0"
    assert world.reboot() == "A"
    assert grubenv_read(world.grubenv)["A_TRY"] == "1"
    assert boot.prepare() == "ordinary"
    assert grubenv_read(world.grubenv)["A_TRY"] == "0"
    # an unhealthy box with nothing on trial is reported, not rebooted into the other slot
    assert not boot.confirm(wait=lambda _: (False, SICK), reboot=lambda: (_ for _ in ()).throw(AssertionError))
    assert state.read("health")["ok"] is False


def test_the_console_line_says_the_slot_mark_and_the_check(world):
    from firmware.update.cli import confirm_line

    assert boot.prepare() == "ordinary"
    assert boot.confirm(wait=lambda _: (True, HEALTHY), reboot=lambda: None)
    assert confirm_line(True) == "callbox update: slot A good, healthy, version 1.0.0 (edge: ok; engine: ok)"
