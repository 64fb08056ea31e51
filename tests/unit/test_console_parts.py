"""The console's parts without a terminal: line decoding, host validation, the network file, the
SIP OPTIONS line test, the installer's password and the factory reset."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from firmware.console import accounts, linetest
from firmware.console.menu import valid_host
from firmware.console.system import NetworkSetting, factory_reset
from firmware.console.terminal import BadInput, decode_line
from firmware.store import open_store, queries


@pytest.mark.parametrize("raw, text", [(b" 3 \n", "3"), (b"\xc3\xa9t\xc3\xa9\r\n", "été"), (b"a\tb\n", "a\tb")])
def test_plain_lines_decode(raw, text):
    assert decode_line(raw) == text


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\n", "not valid UTF-8"), (b"\xc3\n", "not valid UTF-8"), (b"\x1bOP\n", "escape sequences"),
    (b"a\x00b\n", "U+0000"), (b"x\x7f\n", "U+007F"), ("a\u2028b\n".encode(), "U+2028"),
    ("\u202eevil\n".encode(), "U+202E"),
])
def test_hostile_lines_are_refused(raw, reason):
    with pytest.raises(BadInput, match=re.escape(reason)):
        decode_line(raw)


@pytest.mark.parametrize("text", ["127.0.0.1", "::1", "sip.example.com", "example.com.", "a-b.c1"])
def test_hosts(text):
    assert valid_host(text)


@pytest.mark.parametrize("text", ["", "-c", "a b", "a;b", "$(reboot)", "a..b", "-a.com", "a-.com", "x" * 64,
                                  ".".join(["abc"] * 70), "é.com"])
def test_bad_hosts(text):
    with pytest.raises(BadInput):
        valid_host(text)


def test_networkd_file():
    static = NetworkSetting("eth0", ipaddress.ip_interface("10.1.2.3/16"), ipaddress.ip_address("10.1.0.1"),
                            (ipaddress.ip_address("1.1.1.1"),))
    assert static.networkd_file().splitlines()[-4:] == ["[Network]", "Address=10.1.2.3/16", "Gateway=10.1.0.1",
                                                        "DNS=1.1.1.1"]
    assert "DHCP=yes" in NetworkSetting("eth0").networkd_file()


def test_options_to_nothing_is_refused_and_silence_times_out():
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert "refused" in linetest.send_options(f"127.0.0.1:{port}", timeout=1).reason
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        result = linetest.send_options(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        assert result.code is None and "no answer" in result.reason
        request = silent.recv(65535)
    assert request.startswith(b"OPTIONS sip:127.0.0.1:") and b"\r\nCSeq: 1 OPTIONS\r\n" in request


def test_installer_password_is_hashed_and_throttled(tmp_path):
    conn = open_store(tmp_path / "callbox.db")
    with pytest.raises(LookupError):
        accounts.check_installer_password(conn, "anything")
    with pytest.raises(ValueError):
        accounts.set_installer_password(conn, "short")
    accounts.set_installer_password(conn, "long-enough")
    assert "long-enough" not in queries.get_setting(conn, accounts.INSTALLER_SETTING)
    now = 1000.0
    for _ in range(accounts.THROTTLE["free"]):
        assert not accounts.check_installer_password(conn, "wrong", now)
    assert not accounts.check_installer_password(conn, "wrong", now)
    with pytest.raises(accounts.Throttled):
        accounts.check_installer_password(conn, "long-enough", now + 1)
    assert accounts.check_installer_password(conn, "long-enough", now + 3)


def test_factory_reset_keeps_prompts_and_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    open_store(tmp_path / "callbox.db").close()
    for name in ("recordings/a.wav", "prompts/p.wav", "log/engine.log", "config/x.conf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    removed = factory_reset(tmp_path)
    assert str(tmp_path / "callbox.db") in removed
    assert not (tmp_path / "callbox.db").exists() and not (tmp_path / "recordings" / "a.wav").exists()
    assert not (tmp_path / "config").exists()
    assert (tmp_path / "prompts" / "p.wav").exists() and (tmp_path / "log" / "engine.log").exists()
    assert (tmp_path / "recordings").is_dir()


def test_dry_run_writes_nothing(tmp_path, monkeypatch):
    from firmware.console.system import DryRun, network_file

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    said = []
    DryRun(said.append).write_network(NetworkSetting("eth0"))
    DryRun(said.append).reboot()
    assert not network_file().exists()
    assert any("DHCP=yes" in line for line in said) and "would run systemctl reboot" in said[-1]


def test_last_errors_skip_supervisord_notes(tmp_path, monkeypatch):
    from firmware.console.status import last_errors

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "supervisord.log").write_text(
        "2026 CRIT Supervisor is running as root.\n2026 WARN exited: engine (terminated by SIGKILL; not expected)\n")
    (tmp_path / "log" / "kamailio.log").write_text(" 0(12) ERROR: <core> bad \x1b[31m thing\n INFO: fine\n")
    errors = last_errors()
    assert len(errors) == 2
    assert any("exited: engine" in e for e in errors) and any("bad ?[31m thing" in e for e in errors)


def run_console(tmp_path, monkeypatch, typed: bytes) -> str:
    import io

    from firmware.console.menu import Console
    from firmware.console.system import Recorder
    from firmware.console.terminal import Terminal

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    out = io.StringIO()
    terminal = Terminal(io.BytesIO(typed), out)
    console = Console(terminal, Recorder(terminal.say, tmp_path / "actions.log"))
    assert console.run() == 0
    return out.getvalue()


def test_a_failing_item_does_not_end_the_console(tmp_path, monkeypatch):
    from firmware.console import status

    def broken(conn):
        raise OSError("disk on fire")
    monkeypatch.setattr(status, "status_lines", broken)
    out = run_console(tmp_path, monkeypatch, b"1\n0\n")
    assert "! that failed: OSError: disk on fire" in out and out.rstrip().endswith("bye")


def test_input_at_its_end_leaves_without_spinning(tmp_path, monkeypatch):
    out = run_console(tmp_path, monkeypatch, b"1\n")
    assert out.count("Enter an option") == 2


def test_unlock_lapses_when_idle(tmp_path, monkeypatch):
    from firmware.console import menu

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db")
    accounts.set_installer_password(conn, "long-enough")
    conn.close()
    out = run_console(tmp_path, monkeypatch, b"10\nlong-enough\nno\n0\n")
    assert "installer password: " in out and "nothing done" in out
    monkeypatch.setattr(menu, "IDLE_LOCK_SECONDS", -1.0)      # every answer comes after a long idle
    out = run_console(tmp_path, monkeypatch, b"10\nlong-enough\nno\n10\nwrong-one\n0\n")
    assert "locked again after" in out and "! wrong installer password" in out


def test_network_shows_the_kept_setting(tmp_path, monkeypatch):
    from firmware.console.system import network_file

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db")
    accounts.set_installer_password(conn, "long-enough")
    conn.close()
    network_file().parent.mkdir(parents=True)
    network_file().write_text(NetworkSetting("eth1", ipaddress.ip_interface("10.0.0.5/24")).networkd_file())
    out = run_console(tmp_path, monkeypatch, b"5\nlong-enough\n\n0\n")
    assert "set on the console" in out and "Name=eth1; Address=10.0.0.5/24" in out
