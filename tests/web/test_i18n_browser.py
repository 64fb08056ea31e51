"""The language switcher in a real browser (issue 9, item 8): `callbox web` and Debian's chromium. The
header switches the page to Swedish and to Chinese, and the Chinese page draws its characters with a
CJK font (Debian's fonts-noto-cjk) instead of the empty boxes a browser draws without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import CHROMIUM, browser, create_first_admin, web  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]

# Draws each character alone on a canvas in the page's own font and compares the pixels: with a CJK
# font every character looks different; without one each is the same .notdef box, which is also
# what a code point that no font has (a private-use one) looks like.
GLYPHS = """(chars) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const family = getComputedStyle(document.querySelector("h1")).fontFamily;
  const draw = (ch) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = `48px ${family}`;
    ctx.fillStyle = "#000";
    ctx.fillText(ch, 4, 52);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(",");
  };
  const glyphs = chars.map(draw);
  const missing = draw("\\u{10FFFD}");
  return {distinct: new Set(glyphs).size, inked: glyphs.filter((g) => /[1-9]/.test(g)).length,
          like_missing: glyphs.filter((g) => g === missing).length};
}"""


def _switch(page, language: str) -> None:
    page.locator("header select[name=language]").select_option(language)
    page.locator("header form.language button").click()


def test_the_header_switches_the_language_and_chinese_shows_its_characters(web, browser, tmp_path):  # noqa: F811
    page, expect = browser
    page.goto(f"{web}/setup")
    create_first_admin(page)
    expect(page).to_have_url(f"{web}/live")
    expect(page.get_by_role("heading", name="Live")).to_be_visible()

    _switch(page, "sv")
    expect(page).to_have_url(f"{web}/live")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", name="Realtid")).to_be_visible()
    expect(page.get_by_role("link", name="Samtal")).to_be_visible()
    expect(page.locator("#board")).to_contain_text("motorn körs inte")

    page.get_by_role("link", name="Köer").click()
    expect(page.get_by_role("button", name="Skapa kö")).to_be_visible()
    _switch(page, "zh")
    expect(page).to_have_url(f"{web}/queues")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    heading = page.get_by_role("heading", name="队列", exact=True)
    expect(heading).to_be_visible()
    heading.screenshot(path=str(tmp_path / "zh-heading.png"))
    glyphs = page.evaluate(GLYPHS, ["队", "列", "坐", "席", "话", "后", "处", "理"])
    assert glyphs == {"distinct": 8, "inked": 8, "like_missing": 0}, glyphs
    # the check sees boxes: characters no font has (private use) all look like the missing one
    assert page.evaluate(GLYPHS, ["\ue000", "\ue001"])["like_missing"] == 2

    page.reload()                                      # the choice is the user's, kept on the server
    expect(page.get_by_role("button", name="创建队列")).to_be_visible()
    _switch(page, "")                                  # back to what the browser asks for: English
    expect(page.get_by_role("button", name="Create queue")).to_be_visible()
