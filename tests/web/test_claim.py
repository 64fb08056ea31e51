"""The claim window: a fresh box's first admin is created only from the local network and within an
hour of the first start or of a short press of the reset button (issue 10, item 2)."""

from __future__ import annotations

import pytest

from firmware import claim
from firmware.board import listener
from firmware.store import queries
from webui.auth.claim import is_local, seconds_left

PASSWORD = "correct-horse"
FORM = {"username": "root", "password": PASSWORD, "password2": PASSWORD}


class Clock:
    """The claim window's clock, moved by the test: one boot, its boot clock and wall clock together."""

    def __init__(self, wall: float = 1_800_000_000.0, boot_id: str = "boot-1", uptime: float = 30.0):
        self.instant = claim.Instant(wall, boot_id, uptime)

    def __call__(self) -> claim.Instant:
        return self.instant

    def advance(self, seconds: float) -> None:
        i = self.instant
        self.instant = claim.Instant(i.wall + seconds, i.boot_id, i.uptime + seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def claimable(make_app, clock):
    return make_app(CLAIM_CLOCK=clock)


def _claim(app, address: str = "127.0.0.1"):
    return app.test_client().post("/setup", data=FORM, environ_base={"REMOTE_ADDR": address})


def test_claimed_from_loopback_inside_the_window(claimable, clock, db):
    clock.advance(59 * 60)
    page = claimable.test_client().get("/setup")
    assert page.status_code == 200 and b"1 more minute" in page.data
    response = _claim(claimable)
    assert response.status_code == 302
    assert queries.get_user_by_name(db, "root")["role"] == "admin"


def test_refused_an_hour_after_the_first_start(claimable, clock, db):
    clock.advance(3600)
    response = _claim(claimable)
    assert response.status_code == 403
    assert b"within one hour of its first start" in response.data
    assert b"reset button briefly" in response.data and b"callbox admin create" in response.data
    assert queries.count_users(db) == 0


def test_refused_from_a_public_address_even_inside_the_window(claimable, db):
    for address in ("203.0.113.9", "8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", "100.64.0.1", "172.32.0.1", "",
                    "not-an-address"):
        response = _claim(claimable, address)
        assert response.status_code == 403, address
        assert b"is not on a local network" in response.data
    assert queries.count_users(db) == 0


def test_a_forged_forwarding_header_does_not_make_a_stranger_local(claimable, db):
    response = claimable.test_client().post("/setup", data=FORM, environ_base={"REMOTE_ADDR": "198.51.100.7"},
                                            headers={"X-Forwarded-For": "192.168.1.20", "Forwarded": "for=127.0.0.1"})
    assert response.status_code == 403
    assert queries.count_users(db) == 0


@pytest.mark.parametrize("address", ["192.168.1.20", "10.1.2.3", "172.31.255.1", "169.254.3.4", "127.0.0.5",
                                     "::1", "fd12:3456::1", "fe80::1%eth0", "::ffff:192.168.0.7"])
def test_local_addresses(address):
    assert is_local(address)


def test_the_button_opens_the_window_again(claimable, clock, data_dir, db):
    clock.advance(2 * 3600)
    assert _claim(claimable).status_code == 403
    claim.record_button_press(data_dir, clock())            # what the board's short press records
    clock.advance(60)
    assert _claim(claimable).status_code == 302
    assert queries.count_users(db) == 1


def test_the_board_short_press_records_in_the_data_directory(data_dir, monkeypatch):
    restarted = []
    monkeypatch.setattr(listener, "restart_services", lambda: restarted.append(True))
    listener.short_press()
    assert restarted == [True]
    assert claim.read(data_dir / "config" / "claim" / claim.BUTTON_PRESS) is not None


def test_the_first_start_is_recorded_once(data_dir, make_app, clock):
    make_app(CLAIM_CLOCK=clock)
    first = claim.read(data_dir / "config" / "claim" / claim.FIRST_START)
    clock.advance(7200)
    make_app(CLAIM_CLOCK=clock)                              # a restart, another worker: the record stays
    assert claim.read(data_dir / "config" / "claim" / claim.FIRST_START) == first


def test_within_one_boot_the_boot_clock_counts_not_the_wall_clock():
    """A Raspberry Pi boots with a wrong wall clock that NTP then sets forward by months."""
    started = claim.Instant(wall=1_000_000.0, boot_id="b", uptime=20.0)
    after_ntp = claim.Instant(wall=1_800_000_000.0, boot_id="b", uptime=620.0)
    assert seconds_left([started], after_ntp) == 3000.0
    next_boot = claim.Instant(wall=1_800_000_000.0, boot_id="c", uptime=20.0)
    assert seconds_left([started], next_boot) == 0.0
    clock_went_back = claim.Instant(wall=999_000.0, boot_id="c", uptime=20.0)
    assert seconds_left([started], clock_went_back) == 0.0


def test_the_console_creates_the_admin_whatever_the_window(data_dir, clock, make_app, db):
    import subprocess
    import sys
    from pathlib import Path

    make_app(CLAIM_CLOCK=clock)
    callbox = Path(sys.executable).with_name("callbox")
    done = subprocess.run([str(callbox), "admin", "create", "--username", "boss", "--password-stdin"],
                          input=f"{PASSWORD}\n", text=True, capture_output=True,
                          env={"CALLBOX_DATA": str(data_dir), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert queries.get_user_by_name(db, "boss")["role"] == "admin"
