"""The languages the pages speak: a leaf module, so the i18n package and its views share it without
importing each other."""

from __future__ import annotations

from typing import Any

# Each language named in itself, as the switcher offers it.
LANGUAGES = {"en": "English", "sv": "Svenska", "de": "Deutsch", "zh": "中文"}
# What <html lang> says: the zh catalogue is simplified Chinese (fonts and screen readers pick by it).
HTML_LANG = {"en": "en", "sv": "sv", "de": "de", "zh": "zh-Hans"}
DEFAULT = "en"


def known(code: Any) -> str | None:
    return code if isinstance(code, str) and code in LANGUAGES else None
