"""The installer's console on a running box: the status shows the box's real figures (a phone
registered at kamailio, the engine's calls, the trunks), the line test gets kamailio's answer to a
SIP OPTIONS, and "restart the services" restarts them through the box's supervisord."""

from __future__ import annotations

import os
import sys

import pexpect

from firmware.engine.client import EngineClient
from tests.integration.box import REPO

MENU = "Enter an option (0-13): "
INSTALLER = "installer-secret"


def spawn_console(box):
    env = {**box.env, "PYTHONPATH": str(REPO), "TERM": "vt100"}
    env.pop("CALLBOX_CONSOLE_SYSTEM", None)         # dry run: reboot and network print; restart is real
    child = pexpect.spawn(sys.executable, ["-m", "firmware.cli", "console"], env=env, encoding="utf-8",
                          codec_errors="replace", timeout=20)
    child.delaybeforesend = None
    child.logfile_read = sys.stdout         # shown by pytest when a test fails
    child.expect_exact(MENU)
    return child


def test_status_shows_the_running_box(center, phone):
    box = center["box"]
    phone.register()
    console = spawn_console(box)
    try:
        console.sendline("1")
        console.expect_exact("phones: 1 of 1 registered")
        console.expect_exact("calls now: 0")
        console.expect_exact(f"carrier (peer, 127.0.0.1:{center['trunk_port']}): peer (no registration)")
        console.expect_exact(MENU)
    finally:
        console.close(force=True)


def test_status_shows_a_trunk_registration(center):
    """A registering trunk whose provider (here the box's own registrar, which knows no 2002)
    refuses it: the console shows the refusal the engine got."""
    box = center["box"]
    trunk = box.api("POST", "/trunks", {"name": "provider", "type": "register", "address": f"127.0.0.1:{box.sip_port}",
                                        "username": "2002", "password": "not-known-here"}, expect=201)
    client = EngineClient(box.data / "run" / "engine.sock")
    registration = box.wait_for(
        lambda: next((t["registration"] for t in client.request("trunks")["trunks"]
                      if t["id"] == trunk["id"] and (t["registration"] or {}).get("code")), None),
        timeout=20, what="the trunk's registration answer")
    console = spawn_console(box)
    try:
        console.sendline("1")
        console.expect_exact(f"provider (register, 127.0.0.1:{box.sip_port}): ")
        console.expect_exact(f"NOT registered ({registration['code']} " if registration["code"] >= 300
                             else "registered (")
        console.expect_exact(MENU)
    finally:
        console.close(force=True)
        box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)


def test_line_test_and_restart_on_the_running_box(center):
    box = center["box"]
    box.api("POST", "/trunks", {"name": "edge-itself", "type": "peer", "address": f"127.0.0.1:{box.sip_port}"},
            expect=201)
    box.callbox("installer-password", "--password-stdin", stdin=INSTALLER + "\n")
    console = spawn_console(box)
    try:
        console.sendline("7")
        console.expect_exact("installer password: ")
        console.sendline(INSTALLER)
        console.expect_exact("edge-itself (peer): sending SIP OPTIONS")
        console.expect(r"127\.0\.0\.1:\d+: 200 OK in \d+ ms")      # kamailio itself answers
        console.expect_exact(MENU)

        old_engine = box.engine_pid()
        console.sendline("9")
        console.expect_exact("(yes/no): ")
        console.sendline("yes")
        console.expect_exact("engine: started")
        console.expect_exact(MENU, timeout=60)
        box.wait_for(lambda: (pid := box.engine_pid()) and pid != old_engine and box.engine_status() is not None,
                     timeout=30, what="the restarted engine")

        console.sendline("10")
        console.expect_exact("(yes/no): ")
        console.sendline("yes")
        console.expect_exact("dry run (not the appliance): would run systemctl reboot")
        console.expect_exact(MENU)
    finally:
        console.close(force=True)
    assert os.path.exists(box.data / "callbox.db")
