"""The callback confirmation SMS ("We will call you back between 14:00 and 15:00.") in the language
callers hear (the box's setting `prompt_language`), worded through the project's message catalogue:
the English templates are marked here for `pybabel extract` (babel.cfg) and translated in
webui/translations/<lang>/LC_MESSAGES/messages.po with every other text of the box. The engine reads
those catalogues directly (babel's .po reader, once per language): it needs no web to word an SMS."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firmware.message import N_

log = logging.getLogger(__name__)

CATALOGUES = Path(__file__).resolve().parents[2] / "webui" / "translations"
LANGUAGES = ("en", "sv", "de", "zh")

CALLBACK_WINDOW = N_("We will call you back between {start} and {end}.")
CALLBACK_FROM = N_("We will call you back from {start}.")
CALLBACK_SOON = N_("We will call you back as soon as possible.")
CALLBACK_SIGNATURE = N_("Your callback is booked.")


@functools.lru_cache(maxsize=8)
def _catalogue(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    try:
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
    except (OSError, ValueError) as exc:
        log.error("message catalogue %s not read (%s): SMS in English", path, exc)
        return {}
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string
            and not m.fuzzy}


def translate(template: str, language: str) -> str:
    if language not in LANGUAGES or language == "en":
        return template
    return _catalogue(language).get(template, template)


def _zone(name: str | None) -> dt.tzinfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def callback_confirmation(language: str, wanted_from: float | None, wanted_until: float | None,
                          zone: str | None = None) -> str:
    """The text for a callback wanted from `wanted_from` until `wanted_until` (wall-clock; None: as
    soon as possible / no end), times in `zone` (the queue's) or the box's local time."""
    tz = _zone(zone)

    def clock(moment: float) -> str:
        return dt.datetime.fromtimestamp(moment, tz).strftime("%H:%M")

    if wanted_from is None and wanted_until is None:
        template, values = CALLBACK_SOON, {}
    elif wanted_until is None:
        template, values = CALLBACK_FROM, {"start": clock(wanted_from)}  # type: ignore[arg-type]
    else:
        start = wanted_from if wanted_from is not None else wanted_until
        template, values = CALLBACK_WINDOW, {"start": clock(start), "end": clock(wanted_until)}
    return f"{translate(CALLBACK_SIGNATURE, language)} {translate(template, language).format(**values)}"
