"""The wizard's network step without a browser: when a change is kept or rolled back (a pure rule,
time passed in), the pending change surviving a web restart, and the systemd-networkd backend's
files and commands in a temporary directory."""

from __future__ import annotations

import ipaddress
import threading

import pytest

from webui.wizard import network
from webui.wizard.network import ROLLBACK_SECONDS, SETTLE_SECONDS, NetworkChanges, NetworkdBackend, PendingChange, decide

T0 = 1_800_000_000.0


@pytest.mark.parametrize("after, confirmed, verdict", [
    (0.0, False, "wait"),
    (SETTLE_SECONDS - 0.1, True, "wait"),          # the old address may still answer: proves nothing yet
    (SETTLE_SECONDS, True, "keep"),
    (ROLLBACK_SECONDS - 0.1, True, "keep"),
    (ROLLBACK_SECONDS - 0.1, False, "wait"),
    (ROLLBACK_SECONDS, False, "rollback"),
    (ROLLBACK_SECONDS, True, "rollback"),          # too late: the installer was told it would go back
    (ROLLBACK_SECONDS * 100, False, "rollback"),
])
def test_decide(after, confirmed, verdict):
    change = PendingChange(previous=None, applied="x", applied_at=T0, token="t")
    assert decide(change, T0 + after, confirmed=confirmed) == verdict


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def parts(tmp_path):
    commands: list[list[str]] = []
    sys_net = tmp_path / "sys"
    for name, physical in (("lo", False), ("enp1s0", True), ("docker0", False)):
        (sys_net / name).mkdir(parents=True)
        if physical:
            (sys_net / name / "device").mkdir()
    backend = NetworkdBackend(tmp_path / "data" / "config" / "network", tmp_path / "run", commands.append, sys_net)
    clock = Clock()
    return backend, commands, clock, NetworkChanges(tmp_path / "data" / "config" / "network", backend, clock), tmp_path


def _static(address: str = "192.168.1.20/24") -> network.NetworkSetting:
    return network.NetworkSetting("enp1s0", ipaddress.ip_interface(address), ipaddress.ip_address("192.168.1.1"))


def test_the_backend_writes_the_kept_and_the_runtime_file_then_asks_networkd(parts):
    backend, commands, _, changes, tmp = parts
    assert backend.interfaces() == ["enp1s0"]
    assert backend.current() is None
    changes.apply(_static())
    kept = (tmp / "data" / "config" / "network" / "10-callbox.network").read_text()
    assert kept == (tmp / "run" / "10-callbox.network").read_text()
    assert kept.splitlines()[1:] == ["[Match]", "Name=enp1s0", "", "[Network]", "Address=192.168.1.20/24",
                                     "Gateway=192.168.1.1"]
    assert commands == [["networkctl", "reload"], ["networkctl", "reconfigure", "enp1s0"]]


def test_kept_when_confirmed_in_time(parts):
    backend, _, clock, changes, _ = parts
    changes.apply(_static())
    clock.now += 10
    assert changes.confirm() == "keep"
    assert changes.pending() is None and "192.168.1.20" in backend.current()
    clock.now += ROLLBACK_SECONDS
    assert changes.settle() is None                 # nothing pending: nothing rolls back


def test_rolled_back_to_the_previous_kept_setting(parts):
    backend, commands, clock, changes, _ = parts
    changes.apply(_static("192.168.1.20/24"))
    clock.now += 5
    changes.confirm()
    commands.clear()
    changes.apply(_static("192.168.1.30/24"))
    clock.now += ROLLBACK_SECONDS - 1
    assert changes.settle() == "wait"
    clock.now += 1
    assert changes.settle() == "rollback"
    assert "Address=192.168.1.20/24" in backend.current()
    assert commands[-2:] == [["networkctl", "reload"], ["networkctl", "reconfigure", "enp1s0"]]


def test_a_restarted_web_still_rolls_back(parts):
    """The box's address changed, so its services restarted: the new web finds the change on disk."""
    backend, _, clock, changes, tmp = parts
    changes.apply(_static())
    clock.now += ROLLBACK_SECONDS + 30
    restarted = NetworkChanges(tmp / "data" / "config" / "network", backend, clock)
    assert restarted.settle() == "rollback"
    assert backend.current() is None and not (tmp / "run" / "10-callbox.network").exists()


def test_a_second_apply_first_rolls_the_first_back(parts):
    backend, _, clock, changes, _ = parts
    changes.apply(_static("192.168.1.20/24"))
    second = changes.apply(_static("192.168.1.30/24"))
    assert second.previous is None                  # the unconfirmed first one never counts as kept


def test_the_timer_rolls_back_at_the_deadline(parts):
    backend, _, clock, changes, _ = parts
    changes.apply(_static())
    clock.now += ROLLBACK_SECONDS                    # due now: the timer fires at once (plus 0.2 s)
    done = threading.Event()
    settle = changes.settle

    def settled():
        result = settle()
        done.set()
        return result

    changes.settle = settled                         # type: ignore[method-assign]
    timer = changes.arm()
    assert timer is not None
    assert done.wait(5)
    assert changes.pending() is None and backend.current() is None


def test_the_services_restart_only_when_the_boxs_address_may_move(tmp_path):
    """On the image: the web is bound to the address `callbox run` resolved at its start."""
    commands: list[list[str]] = []
    backend = NetworkdBackend(tmp_path / "kept", tmp_path / "run", commands.append, rebind=True)
    changes = NetworkChanges(tmp_path / "kept", backend, Clock())

    def restarted() -> bool:
        found = any(c[:1] == ["systemd-run"] for c in commands)
        commands.clear()
        return found

    dhcp = network.NetworkSetting("eth0", dns=(ipaddress.ip_address("9.9.9.9"),))
    changes.apply(dhcp)
    assert not restarted()                          # DHCP to DHCP: the lease stays
    changes.confirm()
    changes.clock.now += SETTLE_SECONDS
    assert changes.confirm() == "keep"
    changes.apply(_static("192.168.1.20/24"))
    assert restarted()
    changes.clock.now += ROLLBACK_SECONDS
    assert changes.settle() == "rollback"
    assert restarted()                              # back to DHCP: it moves again
    assert network.moves_address(None, None) is False


def test_a_developer_machine_only_writes_the_kept_file(tmp_path):
    backend = network.backend_for(tmp_path, appliance=False)
    backend.apply("[Match]\nName=eth0\n", "eth0")
    assert (tmp_path / "config" / "network" / "10-callbox.network").exists()
    assert backend.runtime_dir is None and backend.run is None


@pytest.mark.parametrize("address, gateway, problem", [
    ("192.168.1.20/32", None, "address"),           # a host route: no network to reach anything
    ("192.168.1.20/24", "192.168.2.1", "gateway"),
    ("192.168.1.20/24", "fe80::1", "gateway"),
])
def test_parse_setting_refuses(address, gateway, problem):
    with pytest.raises(ValueError, match=problem):
        network.parse_setting("eth0", "static", address, gateway, [])
