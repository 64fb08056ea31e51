"""A form's text turned into the values of a settings object and back: numbers and skills with levels.

Shared by the queue rules form and the agent form. Text that is not what it should be is handed on
as it is, so the parser (the one the API and the engine use) is the only judge of a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from firmware.acd.settings import SettingsError
from firmware.message import Message

_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_SKILL_SEPARATORS = re.compile(r"[,\n]")     # not spaces: a skill's name may hold one ("first line")
SKILLS_EXAMPLE = "de=5, sv=3"


def number_or_text(text: str) -> int | float | str:
    """A number if the text is one; otherwise the text itself, for the parser to refuse by name."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))      # 15.0 reads as 15; the parser takes either
    return str(value)


def skills_from_text(text: str, field: str) -> dict[str, int | str]:
    """ "de=5, sv=3" (commas or lines) -> {"de": 5, "sv": 3}. A level that is no whole number stays
    text, so the parser names the skill ("skills.de"); only what the text itself cannot say
    (no "=", a skill given twice) is an error here."""
    skills: dict[str, int | str] = {}
    for item in filter(None, (item.strip() for item in _SKILL_SEPARATORS.split(text))):
        name, equals, level = (part.strip() for part in item.partition("="))
        if not equals:
            raise SettingsError(field, Message('write skills with their level like "{example}" ({item} has none)',
                                               example=SKILLS_EXAMPLE, item=repr(item)))
        if name in skills:
            raise SettingsError(field, Message("{name} is given twice", name=name))
        skills[name] = int(level) if _WHOLE_NUMBER.fullmatch(level) else level
    return skills


def skills_to_text(skills: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{name}={level}" for name, level in (skills or {}).items())
