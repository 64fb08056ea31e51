"""The settings pages' forms as settings objects and back (pure): pause reasons and dispositions as
rows, alarm notifications as two channels. Input names are the parser's field names
(`pause_reasons[2].code`, `dispositions[0].label`, `email.port`), so the error it reports lands at its
input; a secret is never put into a form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from firmware.message import Message


Values = dict[str, Any]

MASK = "********"           # a secret left as it is stored (see actions._with_stored_secrets)
EMPTY_REASON_ROWS = 3
REASON_INPUT = re.compile(r"^pause_reasons\[(\d+)\]\.(code|billable|max_seconds)$")
EMPTY_DISPOSITION_ROWS = 3
DISPOSITION_INPUT = re.compile(r"^dispositions\[(\d+)\]\.(code|label)$")
_INDEX = re.compile(r"\[(\d+)\]")


def _number_or_text(text: str) -> Any:
    """A number for the parser, or the text as typed for it to refuse."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _shown(number: Any) -> str:
    if number is None:
        return ""
    return f"{number:g}" if isinstance(number, (int, float)) else str(number)


# --- pause reasons -------------------------------------------------------------------------------

def reason_rows(reasons: list[dict], *, blank: int = EMPTY_REASON_ROWS) -> list[Values]:
    """The stored reasons as form rows, and some empty rows to add more."""
    rows = [{"code": str(r.get("code", "")), "billable": bool(r.get("billable")),
             "max_seconds": _shown(r.get("max_seconds"))} for r in reasons if isinstance(r, dict)]
    return rows + [{"code": "", "billable": False, "max_seconds": ""} for _ in range(blank)]


def read_reason_rows(form: Mapping[str, str]) -> list[Values]:
    """The rows as typed, in the order of their numbers."""
    found: dict[int, Values] = {}
    for name in form:
        match = REASON_INPUT.match(name)
        if match:
            found.setdefault(int(match.group(1)), {"code": "", "billable": False, "max_seconds": ""})
            row = found[int(match.group(1))]
            row[match.group(2)] = bool(form[name]) if match.group(2) == "billable" else form[name].strip()
    return [found[i] for i in sorted(found)]


def rows_to_reasons(rows: list[Values]) -> tuple[list[dict], list[int]]:
    """The setting from the rows, empty rows left out; and for each reason the row it came from."""
    reasons, row_of = [], []
    for index, row in enumerate(rows):
        if not row["code"] and not row["max_seconds"] and not row["billable"]:
            continue
        reason: dict[str, Any] = {"code": row["code"]}
        if row["billable"]:
            reason["billable"] = True
        if row["max_seconds"]:
            reason["max_seconds"] = _number_or_text(row["max_seconds"])
        reasons.append(reason)
        row_of.append(index)
    return reasons, row_of


def row_error_input(setting: str, field: str, row_of: list[int]) -> str | None:
    """`pause_reasons[1].code` of the setting -> the input of the form row it came from, since
    empty rows were left out before the parser numbered the items."""
    match = re.match(rf"^{setting}\[(\d+)\]\.(\w+)$", field)
    if not match or int(match.group(1)) >= len(row_of):
        return None
    return f"{setting}[{row_of[int(match.group(1))]}].{match.group(2)}"


# --- dispositions (ACD12) -------------------------------------------------------------------------

def disposition_rows(dispositions: list[dict], *, blank: int = EMPTY_DISPOSITION_ROWS) -> list[Values]:
    """The saved dispositions as form rows, in order, and some empty rows to add more."""
    rows = [{"code": str(d.get("code", "")), "label": str(d.get("label", ""))}
            for d in dispositions if isinstance(d, dict)]
    return rows + [{"code": "", "label": ""} for _ in range(blank)]


def read_disposition_rows(form: Mapping[str, str]) -> list[Values]:
    """The rows as typed, in the order of their numbers."""
    found: dict[int, Values] = {}
    for name in form:
        match = DISPOSITION_INPUT.match(name)
        if match:
            found.setdefault(int(match.group(1)), {"code": "", "label": ""})[match.group(2)] = form[name].strip()
    return [found[i] for i in sorted(found)]


def rows_to_dispositions(rows: list[Values]) -> tuple[list[dict], list[int]]:
    """The setting from the rows, empty rows left out (a label alone is kept, for the parser to
    refuse its missing code); and for each disposition the row it came from."""
    dispositions, row_of = [], []
    for index, row in enumerate(rows):
        if not row["code"] and not row["label"]:
            continue
        disposition = {"code": row["code"]}
        if row["label"]:        # the parser makes an empty label the code
            disposition["label"] = row["label"]
        dispositions.append(disposition)
        row_of.append(index)
    return dispositions, row_of


# --- alarm notifications --------------------------------------------------------------------------

CHANNEL_INPUTS = {"email": ("to", "from", "host", "port", "username"), "sms": ("to", "url")}
CHANNEL_SECRET = {"email": "password", "sms": "token"}


def notifications_to_form(settings: dict) -> Values:
    """The saved channels as form values, without their secrets."""
    email, sms = settings.get("email") or {}, settings.get("sms") or {}
    return {
        "email.to": "\n".join(email.get("to", [])), "email.from": email.get("from", ""),
        "email.host": email.get("host", ""), "email.port": str(email.get("port", "")),
        "email.security": email.get("security", "starttls"), "email.username": email.get("username", ""),
        "sms.to": "\n".join(sms.get("to", [])), "sms.url": sms.get("url", ""),
        "language": settings.get("language") or "en",
    }


def secrets_set(settings: dict) -> set[str]:
    """The secret inputs that have a saved value ("email.password"), to say so next to them."""
    return {f"{name}.{secret}" for name, secret in CHANNEL_SECRET.items()
            if isinstance(settings.get(name), dict) and settings[name].get(secret)}


def read_notifications_form(form: Mapping[str, str]) -> Values:
    """The form as typed, secrets and their clear boxes apart (they are never shown again)."""
    values = {f"{name}.{i}": form.get(f"{name}.{i}", "").strip() for name, inputs in CHANNEL_INPUTS.items()
              for i in inputs}
    values["email.security"] = form.get("email.security", "starttls")
    values["language"] = form.get("language", "en")
    for name, secret in CHANNEL_SECRET.items():
        values[f"{name}.{secret}"] = form.get(f"{name}.{secret}", "")
        values[f"{name}.{secret}_clear"] = bool(form.get(f"{name}.{secret}_clear"))
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n,;]", text) if line.strip()]


def _secret(values: Values, name: str) -> str:
    """A new secret as typed, "" to clear it, or the mask to keep the saved one."""
    secret = f"{name}.{CHANNEL_SECRET[name]}"
    if values[secret]:
        return values[secret]
    return "" if values[f"{secret}_clear"] else MASK


def form_to_notifications(values: Values) -> dict:
    """The settings object; a channel whose inputs are all empty is off (left out)."""
    settings: dict[str, Any] = {}
    if values.get("language") not in (None, "", "en"):       # the notices' language; unset is English
        settings["language"] = values["language"]
    for name, inputs in CHANNEL_INPUTS.items():
        if not any(values[f"{name}.{i}"] for i in inputs) and not values[f"{name}.{CHANNEL_SECRET[name]}"]:
            continue
        channel: dict[str, Any] = {i: values[f"{name}.{i}"] for i in inputs if i != "port"}
        channel["to"] = _lines(values[f"{name}.to"])
        if name == "email":
            channel["security"] = values["email.security"]
            if values["email.port"]:
                channel["port"] = _number_or_text(values["email.port"])
        channel[CHANNEL_SECRET[name]] = _secret(values, name)
        if name == "sms" and not channel["url"]:
            del channel["url"]          # no gateway: the SMS service sends them (the SMS settings)
        settings[name] = channel
    return settings


def notification_error_input(field: str, message: str) -> tuple[str, str]:
    """`email.to[1]` -> the input `email.to` and a message naming the line."""
    index = _INDEX.search(field)
    name = _INDEX.sub("", field)
    if index:
        message = Message("line {line}: {message}", line=int(index.group(1)) + 1, message=message)
    return name, message

