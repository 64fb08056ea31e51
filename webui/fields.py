"""Reading fields of a JSON object or a submitted form, with errors that name the field.

A JSON body carries typed values; a form or a query string carries text only, so there an
integer arrives as a digit string and a list as repeated fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import BaseConverter

from firmware.message import Message, N_

# SQLite stores integers in 64 bits: a larger Python int raises OverflowError at the query.
SQLITE_INT_MIN, SQLITE_INT_MAX = -2**63, 2**63 - 1
# Row ids start at 1; an id outside [1, SQLITE_INT_MAX] names nothing (404, not a query).
ID_RANGE = dict(minimum=1, maximum=SQLITE_INT_MAX)
# Line breaks and tabs are text in a note; every other control character is refused.
_LINE_CONTROLS = frozenset("\t\n\r")


class FieldError(BadRequest):
    """A field refused: "name: is required". The message is an English template with its values
    (a firmware.message.Message, as the parsers give it, or made here), so the API and the logs read
    English while a page words it in its reader's language (webui.i18n.word)."""

    def __init__(self, field: str, message: str, **params: Any):
        self.message = message if isinstance(message, Message) else Message(message, **params)
        super().__init__(Message("{field}: {message}", field=field, message=self.message))
        self.field = field


def _is_text_form(data: Mapping[str, Any]) -> bool:
    return isinstance(data, MultiDict)


def _missing(data: Mapping[str, Any], value: Any) -> bool:
    """Left out: absent or null, or in a form or query an empty input. In JSON "" is a value (no
    number, no choice), and blank text is handled by `text`: " " is no number either."""
    return value is None or (value == "" and _is_text_form(data))


class IdConverter(BaseConverter):
    """`<id:name>` in a route: the digits of a row id, within SQLite's range; anything else is a 404
    before the view runs (a 23-digit id once reached SQLite and ended in a 500). The 404 is raised
    here, not signalled as a mismatch: werkzeug would then answer 405 from the route's other methods."""

    regex = r"\d+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not ID_RANGE["minimum"] <= number <= ID_RANGE["maximum"]:
            raise NotFound(Message("nothing has the id {id}", id=value[:30]))
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def unusable_character(value: str, *, multiline: bool = False) -> str | None:
    """Why the box cannot store or use this text, or None: a lone surrogate (not Unicode: it cannot
    be encoded for SQLite), NUL, or another control character (line breaks only in multi-line text)."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return Message("must not contain a lone surrogate (U+D800-U+DFFF)")
        if category == "Cc" and not (multiline and char in _LINE_CONTROLS):
            return Message("must not contain control characters ({character})", character=f"U+{ord(char):04X}")
    return None


def text(data: Mapping[str, Any], name: str, *, required: bool = True, max_length: int = 100,
         pattern: str | None = None, hint: str = N_("has an invalid format"), strip: bool = True,
         multiline: bool = False) -> str | None:
    value = data.get(name)
    if _missing(data, value):
        if required:
            raise FieldError(name, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be a string")
    if len(value) > max_length:         # as given, as the OpenAPI's maxLength counts
        raise FieldError(name, "must be at most {max_length} characters", max_length=max_length)
    # Before stripping: str.strip() also takes control characters (\x1c-\x1f, \x85) off the ends,
    # which would let them through unseen instead of refused.
    problem = unusable_character(value, multiline=multiline)
    if problem:
        raise FieldError(name, problem)
    if strip:
        value = value.strip()
        if not value and (required or pattern is not None):
            raise FieldError(name, "is required" if required else hint)
        if not value:
            return None
    if pattern is not None and not re.fullmatch(pattern, value):
        raise FieldError(name, hint)
    return value


def _to_int(data: Mapping[str, Any], name: str, value: Any) -> int:
    if _is_text_form(data) and isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        digits = value.strip().lstrip("-").lstrip("0")
        if len(digits) > 19:            # past SQLite's range; int() of a huge string costs time
            raise FieldError(name, "is out of range")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(name, "must be an integer")
    if not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        raise FieldError(name, "is out of range")
    return value


def integer(data: Mapping[str, Any], name: str, *, required: bool = True, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    value = data.get(name)
    if _missing(data, value):
        if required:
            raise FieldError(name, "is required")
        return None
    number = _to_int(data, name, value)
    if minimum is not None and number < minimum:
        raise FieldError(name, "must be at least {minimum}", minimum=minimum)
    if maximum is not None and number > maximum:
        raise FieldError(name, "must be at most {maximum}", maximum=maximum)
    return number


def identifier(data: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    """A row's id: an integer from 1 to SQLite's largest."""
    return integer(data, name, required=required, **ID_RANGE)


def integer_list(data: Mapping[str, Any], name: str) -> list[int]:
    if _is_text_form(data):
        values = [v for v in data.getlist(name) if not _missing(data, v)]
    else:
        values = data.get(name)
        if values is None:
            raise FieldError(name, "is required")
        if not isinstance(values, list):
            raise FieldError(name, "must be a list of integers")
    numbers = []
    for value in values:
        try:
            numbers.append(_to_int(data, name, value))
        except FieldError:
            raise FieldError(name, "must be a list of integers") from None
    return numbers


def choice(data: Mapping[str, Any], name: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
    """One of `choices`; left out (absent, null, empty) the default. Blank text is no choice."""
    value = text(data, name, required=default is None, pattern="|".join(map(re.escape, choices)),
                 hint=Message("must be one of {choices}", choices=", ".join(choices)))
    return default if value is None else value  # type: ignore[return-value]
