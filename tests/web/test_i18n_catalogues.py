"""The catalogues are complete and up to date (issue 9, item 8): `pybabel extract` over the sources
(babel.cfg, the Makefile's keywords) finds exactly the messages of every catalogue, and Swedish,
German and Chinese translate each of them, none fuzzy, with the same placeholders. The notices'
own tables (firmware/notify/texts.py) are complete in every language too."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from firmware.acd import settings as acd_settings
from firmware.notify import config as notify_config
from firmware.notify import texts

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webui" / "translations"
TRANSLATED = ("sv", "de", "zh")


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def _keys(catalogue) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the sources now, extracted as `make translations-update` does."""
    keywords = re.search(r"^BABEL_KEYWORDS := (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", *keywords, "-o", str(pot), "."], cwd=ROOT,
                   check=True, capture_output=True)
    with open(pot, "rb") as source:
        return read_po(source)


@pytest.mark.parametrize("language", ("en", *TRANSLATED))
def test_every_catalogue_holds_exactly_the_messages_of_the_sources(extracted, language):
    wanted, held = _keys(extracted), _keys(_catalogue(language))
    assert not wanted - held, f"missing in {language} (run make translations-update): {sorted(wanted - held, key=str)[:10]}"
    assert not held - wanted, f"no longer in the sources, still in {language}: {sorted(held - wanted, key=str)[:10]}"
    assert len(wanted) > 500


def _placeholders(text: str) -> tuple[list[str], list[str]]:
    percent = sorted(set(re.findall(r"%\(\w+\)s", text)))
    braces = sorted(name for _, name, _, _ in string.Formatter().parse(text) if name) if "{" in text else []
    return percent, braces


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_none_fuzzy_placeholders_kept(language):
    untranslated, fuzzy, broken = [], [], []
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
        for text in strings:
            # the % of a template rendered by Jinja's gettext must be doubled in both, or in neither
            if text and (_placeholders(text) != _placeholders(ids[-1] if "%(num)s" in text else ids[0])
                         or ("%%" in ids[0]) != ("%%" in text)):
                broken.append((ids[0], text))
    assert not untranslated, f"untranslated in {language}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:10]}"
    assert not broken, f"placeholders changed in {language}: {broken[:10]}"


def test_the_firmwares_messages_are_in_the_catalogues():
    """The ACD's and the notifier's checks say codes; the web words their English through these."""
    held = {key for _, key in _keys(_catalogue("sv"))}
    for table in (acd_settings.MESSAGES, notify_config.MESSAGES):
        assert set(table.values()) <= held


@pytest.mark.parametrize("table", ("NOTICES", "ALARM_NAMES", "DETAILS", "REASONS"))
def test_the_notices_words_are_complete_in_every_language(table):
    """English keeps alarm names and reasons as they are (the codes): the other three word them all."""
    words = getattr(texts, table)
    english = words["sv"] if table in ("ALARM_NAMES", "REASONS") else words["en"]
    for language in texts.LANGUAGES:
        assert set(words[language]) >= set(english) or (table in ("ALARM_NAMES", "REASONS") and language == "en")
        for key, text in words[language].items():
            assert _placeholders(text) == _placeholders(english[key]), (language, key)
