"""The installer's console driven as an installer drives it: `callbox console` on a real
pseudo-terminal (pexpect), on a fresh data directory, with the machine's actions recorded
(CALLBOX_CONSOLE_SYSTEM=record:<file>) instead of run."""

from __future__ import annotations

import os
import socket
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pexpect
import pytest
from werkzeug.security import generate_password_hash

from firmware.store import open_store, queries

REPO = Path(__file__).resolve().parents[2]
MENU = "Enter an option (0-13): "
ADMIN_PASSWORD = "old-password-1"
INSTALLER = "installer-secret"
FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture
def box_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    conn = open_store(tmp_path / "callbox.db")
    queries.create_user(conn, "admin", generate_password_hash(ADMIN_PASSWORD, method=FAST_HASH), "admin")
    conn.close()
    return tmp_path


def console_env(data: Path) -> dict[str, str]:
    return {**os.environ, "CALLBOX_DATA": str(data), "PYTHONPATH": str(REPO),
            "CALLBOX_CONSOLE_SYSTEM": f"record:{data / 'actions.log'}", "SHELL": "/bin/sh", "TERM": "vt100"}


@pytest.fixture
def console(box_data):
    child = pexpect.spawn(sys.executable, ["-m", "firmware.cli", "console"], env=console_env(box_data),
                          encoding="utf-8", codec_errors="replace", timeout=15, dimensions=(24, 80))
    child.delaybeforesend = None        # the console reads lines: no need to wait before each
    child.expect_exact(MENU)
    yield child
    child.close(force=True)


def set_installer_password(data: Path, password: str = INSTALLER) -> None:
    subprocess.run([sys.executable, "-m", "firmware.cli", "installer-password", "--password-stdin"],
                   input=password + "\n", text=True, check=True, env=console_env(data), capture_output=True)


def choose(child, option: str, then: str | None = None) -> None:
    child.sendline(option)
    if then:
        child.expect_exact(then)


def unlock(child, item: str, password: str = INSTALLER) -> None:
    choose(child, item, "installer password: ")
    child.sendline(password)


def actions(data: Path) -> list[str]:
    log = data / "actions.log"
    return log.read_text().splitlines() if log.exists() else []


# --- open items ---------------------------------------------------------------------------------

def test_status_without_a_running_box(console, box_data):
    conn = open_store(box_data / "callbox.db")
    queries.create_trunk(conn, "provider", "peer", "127.0.0.1:5999")
    conn.close()
    (box_data / "log" / "engine.log").write_text("INFO fine\nERROR trunk provider went away\n")
    choose(console, "1", "calls now: engine not running")
    console.expect_exact("provider (peer, 127.0.0.1:5999): engine not running")
    console.expect_exact("engine: ERROR trunk provider went away")
    console.expect_exact(MENU)


def test_admin_password_reset_then_web_login(console, box_data):
    choose(console, "2", "user name [admin]: ")
    console.sendline("")
    console.expect_exact("new password for admin: ")
    console.sendline("short")
    console.expect_exact("the password needs at least 8 characters")
    choose(console, "2", "user name [admin]: ")
    console.sendline("nobody")
    console.expect_exact("there is no user 'nobody'")
    choose(console, "2", "user name [admin]: ")
    console.sendline("admin")
    console.expect_exact("new password for admin: ")
    console.sendline("new-password-2")
    console.expect_exact("the same again: ")
    console.sendline("new-password-2")
    console.expect_exact("password of admin (admin) set")
    console.expect_exact(MENU)

    from webui import create_app
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 401
    assert client.post("/login", data={"username": "admin", "password": "new-password-2"}).status_code == 302


def test_factory_reset_needs_the_word(console, box_data):
    recording = box_data / "recordings" / "call-1.wav"
    recording.write_bytes(b"RIFF")
    choose(console, "3", "type RESET to wipe the box")
    console.sendline("reset")
    console.expect_exact("not reset: you typed 'reset', not RESET")
    console.expect_exact(MENU)
    assert recording.exists()
    conn = open_store(box_data / "callbox.db")
    assert queries.count_users(conn) == 1
    conn.close()

    choose(console, "3", "type RESET to wipe the box")
    console.sendline("RESET")
    console.expect_exact("factory reset done")
    console.expect_exact(MENU)
    assert not recording.exists()
    conn = open_store(box_data / "callbox.db")
    assert queries.count_users(conn) == 0
    assert [row["action"] for row in queries.list_audit(conn)] == ["factory-reset"]
    conn.close()
    assert actions(box_data) == ["restart kamailio engine web notifier"]


# --- the installer's password ------------------------------------------------------------------

def test_locked_items_say_how_to_set_the_installer_password(console, box_data):
    for item in ("5", "6", "7", "8", "9", "10", "11", "12", "13"):
        choose(console, item, "This item needs the installer password, and none is set yet.")
        console.expect_exact(MENU)
    assert actions(box_data) == []


def test_installer_password_gate_and_throttle(console, box_data):
    set_installer_password(box_data)
    unlock(console, "10", "wrong-one")
    console.expect_exact("! wrong installer password")
    console.expect_exact(MENU)
    for _ in range(3):                              # three free tries, then a wait
        unlock(console, "10", "wrong-one")
        console.expect_exact("! wrong installer password")
    unlock(console, "10", INSTALLER)
    console.expect_exact("too many wrong passwords: try again in")
    console.expect_exact(MENU)
    assert actions(box_data) == []

    conn = open_store(box_data / "callbox.db")
    conn.execute("UPDATE login_failures SET blocked_until = 0 WHERE address = 'console'")
    conn.close()
    unlock(console, "10", INSTALLER)
    console.expect_exact("reboot the box now")
    console.sendline("yes")
    console.expect_exact("recorded: reboot")
    console.expect_exact(MENU)
    choose(console, "11", "power the box off now")      # unlocked for the rest of the session
    console.sendline("yes")
    console.expect_exact("recorded: poweroff")
    assert actions(box_data) == ["reboot", "poweroff"]


def test_first_installer_password_from_the_console(console, box_data):
    choose(console, "4", "new password for the installer: ")
    console.sendline(INSTALLER)
    console.expect_exact("the same again: ")
    console.sendline(INSTALLER)
    console.expect_exact("installer password set")
    assert INSTALLER not in console.before           # typed without echo
    choose(console, "9", "restart kamailio")
    console.sendline("yes")
    console.expect_exact("recorded: restart")
    conn = open_store(box_data / "callbox.db")
    assert queries.get_setting(conn, "installer_password_hash").startswith(("scrypt:", "pbkdf2:"))
    conn.close()


# --- the locked items, unlocked -----------------------------------------------------------------

@pytest.fixture
def unlocked(console, box_data):
    set_installer_password(box_data)
    unlock(console, "9")
    console.expect_exact("(yes/no): ")
    console.sendline("no")
    console.expect_exact("nothing done")
    console.expect_exact(MENU)
    return console


def test_network_shows_and_writes_through_the_interface(unlocked, box_data):
    console = unlocked
    choose(console, "5", "DNS: ")
    console.expect_exact("set on the console: nothing (the image's default: DHCP")
    console.expect_exact("Enter) back: ")
    console.sendline("1")
    console.expect_exact("interface [")
    console.sendline("eth9")
    console.expect_exact("DHCP=yes")
    console.expect_exact("apply it (yes/no): ")
    console.sendline("yes")
    console.expect_exact("recorded: network")
    console.expect_exact(MENU)

    choose(console, "5", "Enter) back: ")
    console.sendline("2")
    console.expect_exact("interface [")
    console.sendline("eth9")
    console.expect_exact("address with prefix")
    console.sendline("192.168.1.20")
    console.expect_exact("is not an address with its prefix")
    console.expect_exact(MENU)

    choose(console, "5", "Enter) back: ")
    console.sendline("2")
    console.expect_exact("interface [")
    console.sendline("eth9")
    console.expect_exact("address with prefix")
    console.sendline("192.168.1.20/24")
    console.expect_exact("gateway")
    console.sendline("10.0.0.1")
    console.expect_exact("the gateway 10.0.0.1 is not in 192.168.1.0/24")
    console.expect_exact(MENU)

    choose(console, "5", "Enter) back: ")
    console.sendline("2")
    console.expect_exact("interface [")
    console.sendline("eth9")
    console.expect_exact("address with prefix")
    console.sendline("192.168.1.20/24")
    console.expect_exact("gateway")
    console.sendline("192.168.1.1")
    console.expect_exact("DNS servers")
    console.sendline("192.168.1.1 9.9.9.9")
    console.expect_exact("apply it (yes/no): ")
    console.sendline("yes")
    console.expect_exact(MENU)
    assert actions(box_data)[-1] == ("network # written by the Callbox console|[Match]|Name=eth9||[Network]|"
                                     "Address=192.168.1.20/24|Gateway=192.168.1.1|DNS=192.168.1.1|DNS=9.9.9.9|")


def test_ping_validates_the_host(unlocked):
    console = unlocked
    choose(console, "6", "host name or IP address: ")
    console.sendline("127.0.0.1; rm -rf /")
    console.expect_exact("is neither an IP address nor a host name")
    console.expect_exact(MENU)
    choose(console, "6", "host name or IP address: ")
    console.sendline("-f")
    console.expect_exact("is neither an IP address nor a host name")
    choose(console, "6", "host name or IP address: ")
    console.sendline("127.0.0.1")
    console.expect_exact("4 packets transmitted, 4 received")
    console.expect_exact(MENU)


class SipResponder:
    """A trunk that answers every OPTIONS with 200, echoing the request's Call-ID."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            head = data.split(b"\r\n\r\n")[0].split(b"\r\n")
            kept = [line for line in head[1:] if line.split(b":")[0].lower() in (b"via", b"from", b"to", b"call-id", b"cseq")]
            self.sock.sendto(b"SIP/2.0 100 Trying\r\n" + b"\r\n".join(kept) + b"\r\n\r\n", peer)
            self.sock.sendto(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(kept) + b"\r\nContent-Length: 0\r\n\r\n", peer)


def test_line_test_asks_each_trunk(unlocked, box_data):
    responder = SipResponder()
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()                                    # nothing listens: the kernel answers port unreachable
    conn = open_store(box_data / "callbox.db")
    queries.create_trunk(conn, "alive", "peer", f"127.0.0.1:{responder.port}")
    queries.create_trunk(conn, "gone", "peer", f"127.0.0.1:{dead_port}")
    conn.close()
    choose(console := unlocked, "7", "alive (peer): sending SIP OPTIONS")
    console.expect(r"127\.0\.0\.1:\d+: 200 OK in \d+ ms")
    console.expect_exact("engine: engine not running")
    console.expect_exact("gone (peer): sending SIP OPTIONS")
    console.expect_exact("refused (ICMP port unreachable")
    console.expect_exact(MENU)
    responder.sock.close()


def test_logs_are_paged(unlocked, box_data):
    console = unlocked
    lines = [f"engine line {n}" for n in range(1, 46)] + ["evil \x1b[2J escape"]
    (box_data / "log" / "engine.log").write_text("\n".join(lines) + "\n")
    choose(console, "8", "which log")
    console.sendline("9")
    console.expect_exact("there is no option 9")
    console.expect_exact(MENU)
    choose(console, "8", "which log")
    console.sendline("1")
    console.expect_exact("engine line 20")
    console.expect_exact("-- 20/46 lines: Enter for more, q to stop: ")
    console.sendline("")
    console.expect_exact("engine line 40")
    console.sendline("")
    console.expect_exact("evil ?[2J escape")     # a log line cannot send escapes to the terminal
    console.expect_exact(MENU)
    choose(console, "8", "which log")
    console.sendline("1")
    console.expect_exact("Enter for more, q to stop: ")
    console.sendline("q")
    console.expect_exact(MENU)


def test_restart_reboot_power_off_and_shell(unlocked, box_data):
    console = unlocked
    for item, question, recorded in (("9", "restart kamailio", "restart kamailio engine web notifier"),
                                     ("10", "reboot the box", "reboot"), ("11", "power the box off", "poweroff")):
        choose(console, item, question)
        console.sendline("maybe")
        console.expect_exact("answer yes or no, not 'maybe'; nothing done")
        choose(console, item, question)
        console.sendline("yes")
        console.expect_exact(f"recorded: {recorded}")
        console.expect_exact(MENU)
    assert actions(box_data) == ["restart kamailio engine web notifier", "reboot", "poweroff"]
    choose(console, "12", "type exit to come back to the menu")
    console.sendline("echo marker-$((20+22))")
    console.expect_exact("marker-42")
    console.sendline("exit")
    console.expect_exact(MENU)


# --- hostile input ------------------------------------------------------------------------------

GARBAGE = [
    (b"\xff\xfe\xc3\n", "not valid UTF-8"),
    (b"\x1b[A\n", "escape sequences"),
    (b"a\x07b\n", "control character U+0007"),
    (b"x" * 1000 + b"\n", "too long"),
]


def send_raw(child, data: bytes) -> None:
    os.write(child.child_fd, data)


PROMPTS = [                      # what to type to reach a prompt, and the prompt
    ([], MENU),
    (["2"], "user name [admin]: "),
    (["2", "admin"], "new password for admin: "),
    (["3"], "anything else keeps it: "),
    (["4"], "new password for the installer: "),
    (["9"], "(yes/no): "),
    (["8"], "which log (1-1, 0 back): "),
    (["5"], "Enter) back: "),
    (["5", "2"], "interface ["),
    (["5", "2", "eth0"], "address with prefix (e.g. 192.168.1.20/24): "),
    (["6"], "host name or IP address: "),
]


def test_garbage_at_every_prompt(console, box_data):
    """One console session (one start-up, not eleven) walks to each prompt six times."""
    (box_data / "log" / "web.log").write_text("one line\n")
    set_installer_password(box_data)
    unlock(console, "10")
    console.expect_exact("(yes/no): ")
    console.sendline("no")
    console.expect_exact(MENU)
    for steps, prompt in PROMPTS:
        for data, message in GARBAGE + [(b"\x03", "cancelled (Ctrl-C)"), (b"\x04", "cancelled (Ctrl-D)")]:
            for step in steps:
                console.sendline(step)
            if steps:
                console.expect_exact(prompt)    # Ctrl-C flushes what was typed ahead, as on any tty
            send_raw(console, data)
            try:
                console.expect_exact(message)
                console.expect_exact(MENU)
            except pexpect.TIMEOUT:
                pytest.fail(f"at {prompt!r} (typed {steps}), {data[:20]!r} did not answer {message!r}")
    assert actions(box_data) == []
    conn = open_store(box_data / "callbox.db")
    assert queries.count_users(conn) == 1                       # nothing was reset by the garbage
    conn.close()
    console.sendline("0")
    console.expect_exact("bye")
    console.expect(pexpect.EOF)


def test_ctrl_c_cancels_even_when_the_console_starts_with_sigint_ignored(box_data):
    """A parent's SIG_IGN is inherited (the suite's workers passed one on, and ^C went unanswered)."""
    child = pexpect.spawn(sys.executable, ["-m", "firmware.cli", "console"], env=console_env(box_data),
                          encoding="utf-8", codec_errors="replace", timeout=15, dimensions=(24, 80),
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        child.expect_exact(MENU)
        send_raw(child, b"\x03")
        child.expect_exact("cancelled (Ctrl-C)")
        child.expect_exact(MENU)
    finally:
        child.close(force=True)


def test_a_hung_up_line_ends_the_console(box_data):
    result = subprocess.run([sys.executable, "-m", "firmware.cli", "console"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=30, env=console_env(box_data))
    assert result.returncode == 0
    assert MENU in result.stdout
