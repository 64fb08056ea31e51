"""A request's fields read by its resource's pydantic model: the one set of rules that judges the
API's JSON and a page's form and that the OpenAPI describes (issue 9, item 7).

JSON is validated strictly: "5" is no integer there and true is none either. A form or a query
string carries only text, so it is first turned into the values its model expects: digits become
integers, repeated inputs a list, an empty input is left out. The first refused field becomes a
FieldError whose message names it in the words webui.fields uses (translated on pages).
"""

from __future__ import annotations

import re
from enum import Enum
from collections.abc import Mapping
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from werkzeug.datastructures import MultiDict

from firmware.message import Message
from webui.fields import SQLITE_INT_MAX, FieldError

Model = TypeVar("Model", bound=BaseModel)

_FORM_INTEGER = re.compile(r"\s*-?\d+\s*")
_PAST_SQLITE = SQLITE_INT_MAX + 1      # what a form's 20-digit number reads as: out of every range


class Hint(str):
    """What a value that does not match its field's pattern must look like, in an Annotated field
    ("must contain digits only"); without one the message is "has an invalid format"."""


def read(model: type[Model], data: Mapping[str, Any], *, judged_elsewhere: tuple[str, ...] = ()) -> Model:
    """The body or form `data` as `model`; FieldError naming the first field refused.

    `judged_elsewhere` names optional fields left out here because another parser is their one
    judge (an agent's or a queue's rules: firmware.acd.settings, which the engine also uses)."""
    values = _form_values(model, data) if isinstance(data, MultiDict) else dict(data)
    for name in judged_elsewhere:
        values.pop(name, None)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _field_error(model, exc.errors()[0]) from None


def _form_values(model: type[BaseModel], form: MultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = _value_kind(info.annotation)
        if kind == "list":
            values[key] = [_form_integer(v) for v in form.getlist(key) if v != ""]
        elif key in form and form[key] != "":
            values[key] = _form_integer(form[key]) if kind == "integer" else form[key]
    return values


def _form_integer(text: str) -> int | str:
    """The number written, or the text itself for the model to refuse as no integer."""
    if not _FORM_INTEGER.fullmatch(text):
        return text
    digits = text.strip().lstrip("-").lstrip("0")
    if len(digits) > 19:            # past SQLite's range; int() of thousands of digits raises
        return _PAST_SQLITE
    return int(text)


def _value_kind(annotation: Any) -> str:
    """"integer", "list" (of integers) or "text": how a form writes a field of this type."""
    origin = get_origin(annotation)
    if origin is list:
        return "list"
    if annotation is int:
        return "integer"
    if origin is Annotated:
        return _value_kind(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = {_value_kind(option) for option in get_args(annotation) if option is not NoneType}
        return kinds.pop() if len(kinds) == 1 else "text"
    return "text"


def _field_error(model: type[BaseModel], error: ErrorDetails) -> FieldError:
    location = error["loc"]
    name = str(location[0]) if location else "body"
    info = model.model_fields.get(name) or _by_alias(model, name)
    kind, context, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing" or (given is None and kind.endswith("_type")):
        return FieldError(name, "is required")
    if len(location) > 1 and isinstance(location[1], int):
        return FieldError(name, "must be a list of integers")
    message = _message(kind, context, given, info)
    return FieldError(name, message)


def _by_alias(model: type[BaseModel], alias: str) -> FieldInfo | None:
    return next((info for info in model.model_fields.values() if info.alias == alias), None)


def _message(kind: str, context: dict[str, Any], given: Any, info: FieldInfo | None) -> Message:
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Message("must be an integer")
    if kind == "string_type":
        return Message("must be a string")
    if kind == "list_type":
        return Message("must be a list of integers")
    if kind == "string_too_short":
        if given == "" or context.get("min_length") == 1:
            return Message("is required")
        return Message("must be at least {minimum} characters", minimum=context["min_length"])
    if kind == "too_short":
        return Message("is required")
    if kind == "string_too_long":
        return Message("must be at most {max_length} characters", max_length=context["max_length"])
    if kind == "string_pattern_mismatch":
        hint = next((m for m in (info.metadata if info else ()) if isinstance(m, Hint)), None)
        return Message(hint or "has an invalid format")
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = context.get("ge", context.get("le"))
        if abs(bound) >= SQLITE_INT_MAX or not isinstance(given, int) or abs(given) > SQLITE_INT_MAX:
            return Message("is out of range")
        if kind == "greater_than_equal":
            return Message("must be at least {minimum}", minimum=bound)
        return Message("must be at most {maximum}", maximum=bound)
    if kind in ("literal_error", "enum"):
        return Message("must be one of {choices}", choices=", ".join(_choices(info)))
    if kind == "extra_forbidden":
        return Message("is not a field of this request")
    if isinstance(context.get("message"), Message):     # a Text validator's own refusal
        return context["message"]
    return Message("has an invalid value")


def _choices(info: FieldInfo | None) -> list[str]:
    if info is None:
        return []
    options = get_args(info.annotation) if get_origin(info.annotation) in (Union, UnionType) else (info.annotation,)
    for option in options:
        if get_origin(option) is Literal:
            return [str(choice) for choice in get_args(option)]
        if isinstance(option, type) and issubclass(option, Enum):
            return [str(member.value) for member in option]
    return []
