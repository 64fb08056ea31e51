"""The prompt catalogue is pure data both the web and the engine import (issue 9, item 6)."""

import subprocess
import sys

from firmware.engine import prompts
from firmware.prompts.catalogue import LANGUAGES, PROMPT_NAMES, TEXTS, PromptLanguage


def test_every_language_has_every_prompt_and_an_espeak_voice():
    assert set(TEXTS) == set(LANGUAGES) == {language.value for language in PromptLanguage}
    for language in LANGUAGES:
        assert set(TEXTS[language]) == PROMPT_NAMES, language
    assert set(prompts.VOICES) == set(LANGUAGES)


def test_importing_the_catalogue_loads_nothing_of_the_engine_and_no_process_tool():
    code = ("import sys, firmware.prompts.catalogue as c; "
            "print(sorted(m for m in sys.modules if m.startswith('firmware.engine') or m in ('subprocess', 'shutil')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
