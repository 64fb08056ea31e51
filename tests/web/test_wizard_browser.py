"""The first-run wizard in a real browser (issue 10, item 3): `callbox web` (gunicorn, CSRF, cookies and
the content security policy as shipped) and Debian's chromium, from the claim to the test call. The
engine is the web tests' stand-in on the box's socket, so the test call's arrival can be shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.conftest import FakeEngine
from tests.web.test_browser import CHROMIUM, browser, web  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


@pytest.fixture
def engine(tmp_path):
    (tmp_path / "run").mkdir(exist_ok=True)
    fake = FakeEngine(tmp_path / "run" / "engine.sock", tmp_path / "callbox.db")
    yield fake
    fake.close()


def test_claim_then_walk_the_wizard_to_the_test_call(web, browser, engine, tmp_path):  # noqa: F811
    page, expect = browser
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{web}/")
    expect(page).to_have_url(f"{web}/setup")
    expect(page.locator("#claim-open")).to_contain_text("more minutes")
    page.fill('input[name="username"]', "root")
    page.fill('input[name="password"]', "first-admin-pw")
    page.fill('input[name="password2"]', "first-admin-pw")
    page.get_by_role("button", name="Create administrator").click()

    expect(page).to_have_url(f"{web}/wizard/language")
    page.get_by_label("Language of your pages").select_option("en")
    page.get_by_label("Language of the prompts callers hear").select_option("sv")
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(f"{web}/wizard/timezone")
    page.fill('input[name="time_zone"]', "Europe/Berlin")
    page.get_by_role("button", name="Save and continue").click()

    # DHCP on the same address: the page's script confirms by itself once the setting settled
    expect(page).to_have_url(f"{web}/wizard/network")
    page.get_by_label("Automatic (DHCP)").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#network-countdown")).to_be_visible()
    expect(page).to_have_url(f"{web}/wizard/trunk", timeout=15_000)
    expect(page.locator(".flash")).to_contain_text("The new network setting is kept.")
    assert "DHCP=yes" in (tmp_path / "config" / "network" / "10-callbox.network").read_text()

    engine.answers["trunks"] = {"trunks": [{"id": 1, "name": "carrier", "type": "register",
                                            "registration": {"code": 200, "reason": "OK", "expires": 600}}]}
    page.fill('input[name="name"]', "carrier")
    page.locator("select[name=type]").select_option("register")
    page.fill('input[name="address"]', "sip.example.com")
    page.fill('input[name="username"]', "u1")
    page.fill('input[name="password"]', "trunk-pw")
    page.get_by_role("button", name="Create trunk").click()
    expect(page.locator("#trunk-checks")).to_contain_text("registered (200 OK)")
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page).to_have_url(f"{web}/wizard/agents")
    page.fill('input[name="name_0"]', "Ann")
    page.fill('input[name="extension_0"]', "1001")
    page.get_by_role("button", name="Create agents").click()
    sheet = page.locator("#phone-sheet")
    expect(sheet).to_contain_text("1001")
    password = sheet.locator("code").first.inner_text()
    assert re.fullmatch(r"[A-Za-z2-9]{12}", password)
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page).to_have_url(f"{web}/wizard/queue")
    page.fill('input[name="name"]', "support")
    expect(page.get_by_label("Ann (1001)")).to_be_checked()
    page.get_by_role("button", name="Create queue").click()

    expect(page).to_have_url(f"{web}/wizard/route")
    page.fill('input[name="did"]', "+4681234567")
    page.get_by_role("button", name="Route the number").click()

    expect(page).to_have_url(f"{web}/wizard/test-call")
    expect(page.locator("#test-calls")).to_contain_text("Waiting for a call")
    call = {"call_id": 1, "caller": "+46701112233", "did": "+4681234567", "queue_id": 1, "phase": "talking",
            "agent_id": 1}
    engine.status = {"calls": [call], "agents": [{"id": 1, "name": "Ann", "extension": "1001", "state": "busy",
                                                  "call_id": 1}], "active_calls": 1}
    expect(page.locator("#test-calls")).to_contain_text("Call from +46701112233")
    expect(page.locator("#test-calls")).to_contain_text("answered by Ann")
    page.get_by_role("button", name="Finish").click()
    expect(page).to_have_url(f"{web}/live")
    page.goto(f"{web}/")
    expect(page).to_have_url(f"{web}/live")                # the wizard no longer leads the way
    assert violations == []
