"""One walk through the real web UI in a real browser: `callbox web` (gunicorn, gevent) and Debian's
chromium, with CSRF, cookies and redirects as shipped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(tmp_path):
    """`callbox web` on a fresh data directory; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "CALLBOX_DATA": str(tmp_path), "CALLBOX_WEB_PORT": str(port), "CALLBOX_BIND": "127.0.0.1"}
    log_path = tmp_path / "web.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("callbox")), "web"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"callbox web exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/setup", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"callbox web did not answer within 20 s:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser():
    """Debian's chromium through Playwright; yields (a new page, Playwright's `expect`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    expect.set_options(timeout=10_000)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            page.set_default_timeout(10_000)
            yield page, expect
        finally:
            chromium.close()


def create_first_admin(page) -> None:
    page.fill('input[name="username"]', "root")
    page.fill('input[name="password"]', "first-admin-pw")
    page.fill('input[name="password2"]', "first-admin-pw")
    page.get_by_role("button", name="Create administrator").click()
    # the first-run wizard comes next (test_wizard_box.py walks it); these tests skip it
    page.get_by_role("button", name="Skip the wizard").click()


def test_setup_create_an_agent_and_log_out(web, browser):
    page, expect = browser
    page.goto(f"{web}/")
    expect(page).to_have_url(f"{web}/setup")
    create_first_admin(page)

    expect(page).to_have_url(f"{web}/live")
    expect(page.locator(".whoami")).to_contain_text("root · admin")
    expect(page.locator("#board")).to_contain_text("engine not running")

    page.get_by_role("link", name="Agents").click()
    expect(page).to_have_url(f"{web}/agents")
    page.fill('input[name="name"]', "Ann Agent")
    page.fill('input[name="extension"]', "1001")
    page.fill('input[name="sip_password"]', "sip-secret-1")
    page.get_by_role("button", name="Create agent").click()
    expect(page.locator(".flash")).to_contain_text("Agent 1001 created.")
    expect(page.get_by_role("row").filter(has_text="Ann Agent")).to_contain_text("1001")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{web}/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{web}/agents")
    expect(page).to_have_url(f"{web}/login?next=/agents")


def test_an_admin_sets_opening_hours_and_an_overflow_rule(web, browser):
    page, expect = browser
    page.goto(f"{web}/setup")
    create_first_admin(page)
    expect(page).to_have_url(f"{web}/live")

    page.goto(f"{web}/queues")
    page.fill('input[name="name"]', "sales")
    page.get_by_role("button", name="Create queue").click()
    page.get_by_role("link", name="Rules of sales").click()
    expect(page.get_by_role("heading", name="Rules of queue sales")).to_be_visible()

    hours = page.get_by_role("group", name="Opening hours")
    hours.get_by_label("Monday").fill("08:00-12:00,13:00-17:00")
    hours.get_by_label("Time zone").fill("Europe/Stockholm")
    page.get_by_label("Condition of rule 1").select_option("max-wait")
    page.get_by_label("Threshold of rule 1").fill("300")
    page.get_by_label("Destination of rule 1").select_option("number")
    page.get_by_label("Target of rule 1").fill("+46701234567")
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator(".flash")).to_contain_text("Rules of queue sales saved.")

    page.reload()
    expect(hours.get_by_label("Monday")).to_have_value("08:00-12:00,13:00-17:00")
    expect(hours.get_by_label("Time zone")).to_have_value("Europe/Stockholm")
    expect(page.get_by_label("Condition of rule 1")).to_have_value("max-wait")
    expect(page.get_by_label("Threshold of rule 1")).to_have_value("300")
    expect(page.get_by_label("Destination of rule 1")).to_have_value("number")
    expect(page.get_by_label("Target of rule 1")).to_have_value("+46701234567")
    expect(hours.get_by_label("Tuesday")).to_have_value("")


def test_the_pages_work_under_the_content_security_policy(web, browser):
    """Issue 8, finding 12: the policy forbids inline code; the confirmation before a deletion (once an
    inline onsubmit) and the live board still work, and chromium reports no violation."""
    page, expect = browser
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{web}/setup")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    create_first_admin(page)
    expect(page.locator("#board")).to_contain_text("engine not running")

    page.goto(f"{web}/agents")
    page.fill('input[name="name"]', "Ann Agent")
    page.fill('input[name="extension"]', "1001")
    page.fill('input[name="sip_password"]', "sip-secret-1")
    page.get_by_role("button", name="Create agent").click()
    row = page.get_by_role("row").filter(has_text="Ann Agent")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button").click()
    expect(row).to_be_visible()                       # dismissed: nothing sent
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.get_by_role("button").click()
    expect(page.locator(".flash")).to_contain_text("Agent")
    expect(page.get_by_role("row").filter(has_text="Ann Agent")).to_have_count(0)
    assert len(asked) == 2 and "1001" in asked[0]

    for path in ("/live", "/calls", "/callbacks", "/queues", "/users", "/settings/pause-reasons", "/audit"):
        page.goto(f"{web}{path}")
    assert violations == []
