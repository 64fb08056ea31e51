"""An agent's own rules (skills, wrap-up, delays after a missed offer) as the admin's form and back.

Pure functions, no Flask. Inputs are named by the fields `parse_agent_settings` reports, so its
errors land at their input; skills are one text input ("de=5, sv=3"), so an error of one skill
("skills.de") is shown at it with the skill named. An empty input means "not set".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from firmware.message import Message
from webui.form_values import number_or_text, skills_from_text, skills_to_text, text_of

Values = dict[str, str]

NUMBERS = ("wrapup", "no_answer_delay", "reject_delay", "busy_delay")
INPUTS = ("skills", *NUMBERS)


def read_form(form: Mapping[str, str]) -> Values:
    return {name: form.get(name, "").strip() for name in INPUTS}


def form_to_settings(values: Values) -> dict[str, Any]:
    """The settings object as the API takes it; raises SettingsError for skills the text cannot say."""
    settings: dict[str, Any] = {name: number_or_text(values[name]) for name in NUMBERS if values[name]}
    skills = skills_from_text(values["skills"], "skills")
    if skills:
        settings["skills"] = skills
    return settings


def settings_to_form(settings: Mapping[str, Any] | None) -> Values:
    settings = settings or {}
    values = {name: text_of(settings.get(name)) for name in NUMBERS}
    values["skills"] = skills_to_text(settings.get("skills"))
    return values


def error_input(field: str, message: str) -> tuple[str | None, str]:
    """The input a parser error belongs to (None: the form as a whole) and its message."""
    if field.startswith("skills."):
        return "skills", Message("{skill}: {message}", skill=field.removeprefix("skills."), message=message)
    return (field if field in INPUTS else None), message
