"""Reading a request's JSON body by the rules, before any view sees it (issue 8, finding 9).

Python's json module recurses once per nesting level, so a body of 100,000 `[` raised
RecursionError (a 500); it also takes NaN and Infinity, which JSON does not have, and strings with
lone surrogates or NUL, which SQLite and every other consumer then choke on. Here the nesting is
counted first, in one pass, and the parsed strings are checked once for the whole body.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.exceptions import BadRequest

from webui.fields import unusable_character

MAX_DEPTH = 32          # the deepest legitimate body (queue rules) nests 5 levels
_OPENERS, _CLOSERS = b"[{", b"]}"


def depth(body: bytes) -> int:
    """How deeply arrays and objects nest in the text, brackets within strings not counted."""
    deepest = level = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:          # backslash
                escaped = True
            elif byte == 0x22:          # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            level += 1
            deepest = max(deepest, level)
        elif byte in _CLOSERS:
            level -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, str):
        problem = unusable_character(value, multiline=True)
        if problem:
            raise BadRequest(f"{path or 'body'}: {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = unusable_character(key, multiline=False)
            if problem:
                raise BadRequest(f"{path or 'body'}: a key {problem}")
            _check_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")


def parse(body: bytes) -> Any:
    """The body's value; BadRequest with the reason for anything that is not usable JSON."""
    if depth(body) > MAX_DEPTH:
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    except ValueError as exc:
        raise BadRequest(f"the body must be a JSON object; it is not valid JSON ({exc})") from None
    _check_strings(value, "")
    return value


def object_body(body: bytes) -> dict[str, Any]:
    value = parse(body)
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value
