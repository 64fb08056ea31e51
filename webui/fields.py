"""Reading fields of a JSON object or a submitted form, with errors that name the field.

A JSON body carries typed values; a form or a query string carries text only, so there an
integer arrives as a digit string and a list as repeated fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest


class FieldError(BadRequest):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _is_text_form(data: Mapping[str, Any]) -> bool:
    return isinstance(data, MultiDict)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(data: Mapping[str, Any], name: str, *, required: bool = True, max_length: int = 100,
         pattern: str | None = None, hint: str = "has an invalid format", strip: bool = True) -> str | None:
    value = data.get(name)
    if _missing(value):
        if required:
            raise FieldError(name, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be a string")
    if strip:
        value = value.strip()
    if len(value) > max_length:
        raise FieldError(name, f"must be at most {max_length} characters")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise FieldError(name, hint)
    return value


def _to_int(data: Mapping[str, Any], name: str, value: Any) -> int:
    if _is_text_form(data) and isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(name, "must be an integer")
    return value


def integer(data: Mapping[str, Any], name: str, *, required: bool = True, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    value = data.get(name)
    if _missing(value):
        if required:
            raise FieldError(name, "is required")
        return None
    number = _to_int(data, name, value)
    if minimum is not None and number < minimum:
        raise FieldError(name, f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise FieldError(name, f"must be at most {maximum}")
    return number


def integer_list(data: Mapping[str, Any], name: str) -> list[int]:
    if _is_text_form(data):
        values = [v for v in data.getlist(name) if not _missing(v)]
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
    value = text(data, name, required=default is None)
    if value is None:
        return default  # type: ignore[return-value]
    if value not in choices:
        raise FieldError(name, f"must be one of {', '.join(choices)}")
    return value
