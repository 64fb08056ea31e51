"""The API's answers: a JSON body read as an object, one row, a list, created, deleted."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import NotFound

from webui import json_body
from webui.format import with_iso_times


def read_body() -> dict[str, Any]:
    return json_body.object_body(request.get_data())


def one(row: dict | None, what: str, ident: int):
    if row is None:
        raise NotFound(f"no {what} {ident}")
    return jsonify(with_iso_times(row))


def items(rows: list[dict]):
    return jsonify(items=[with_iso_times(r) for r in rows])


def created(row: dict):
    return jsonify(with_iso_times(row)), 201


def deleted():
    return "", 204
