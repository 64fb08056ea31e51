"""The live view in a real browser, fed by the real engine over SSE while a real call waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.sipp import background_sipp

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.sip, pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def test_waiting_caller_appears_and_leaves_on_the_live_page(center, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    box = center["box"]
    box.callbox("admin", "create", "--username", "boss", "--password-stdin", stdin="live-view-pw\n")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            expect.set_options(timeout=15_000)
            page.goto(box.url("/login"))
            page.fill('input[name="username"]', "boss")
            page.fill('input[name="password"]', "live-view-pw")
            page.locator('button[type="submit"]').click()
            page.goto(box.url("/live"))
            expect(page.locator(".queue").first).to_contain_text("0 waiting")

            caller = background_sipp("trunk_call.xml", remote=f"127.0.0.1:{box.sip_port}",
                                     local_port=center["trunk_port"], service="4930100",
                                     media_port=free_port(span=3), timeout=30, workdir=tmp_path,
                                     extra=("-d", "7000"))
            with caller:
                # No agent is logged in: after the welcome the caller waits in the queue, position 1.
                expect(page.locator(".queue").first).to_contain_text("1 waiting")
                expect(page.locator(".queue").first).to_contain_text("+4670")
                assert caller.wait(20).returncode == 0
            expect(page.locator(".queue").first).to_contain_text("0 waiting")
        finally:
            browser.close()
