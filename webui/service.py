"""What every domain's service (its writes) shares: one transaction with its audit entry, the
engine told to reload, the checks of a password and of a row still in use."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from werkzeug.exceptions import Conflict

from firmware.acd.settings import SettingsError
from firmware.store import queries
from firmware.message import Message
from webui import engine, fields
from webui.fields import FieldError

Row = dict[str, Any]
Data = Mapping[str, Any]

NAME = dict(max_length=100)

_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")


@contextmanager
def change(conn: sqlite3.Connection, values: Data) -> Iterator[None]:
    """One transaction for a change and its audit entry; a clash with an existing row becomes 409."""
    try:
        with queries.transaction(conn):
            yield
    except sqlite3.IntegrityError as exc:
        match = _UNIQUE.search(str(exc))
        if match and match.group(1) in values:
            field = match.group(1)
            raise Conflict(Message("{field}: {value} already exists", field=field, value=repr(values[field]))) from exc
        raise Conflict(Message("the change conflicts with the current configuration")) from exc


def reload_engine() -> None:
    engine.tell("reload")


def checked_password(data: Data, name: str, minimum: int) -> str:
    value = fields.text(data, name, max_length=128, strip=False)
    assert value is not None
    if len(value) < minimum:
        raise FieldError(name, "must be at least {minimum} characters", minimum=minimum)
    return value


def settings_field(exc: SettingsError) -> FieldError:
    """The parser's error as the API's, named under `settings` ("settings.skills.de")."""
    return FieldError(f"settings.{exc.field}" if exc.field else "settings", exc.message)


def refuse_if_used(what: str, uses: list[str]) -> None:
    if uses:
        raise Conflict(Message("{what} cannot be deleted: {uses}. Change those first.", what=what, uses="; ".join(uses)))

