"""The OpenAPI 3.0 description of /api/v1, generated: the paths, methods and roles from the app's
routes, each operation's words and models from its @doc, the schemas from the pydantic models of
the domains' `schema.py` (JSON Schema as pydantic writes it, said in OpenAPI 3.0's dialect)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from flask import Flask
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from webui.api.schema import Error, Id, Query

Schema = dict[str, Any]
PREFIX = "/api/v1"
AUDIO = "audio/wav"
TEXT = "text/plain"

ERRORS = {
    400: "A field is missing, mistyped or invalid (the message names it)",
    401: "No bearer token, or an unknown one",
    403: "The token's role is too low",
    404: "No such object",
    409: "Conflicts with an existing object (duplicate name, extension, DID, membership) or its state",
    413: "The upload is larger than allowed",
    503: "The engine is not running",
}
# What a path's id names, where its name does not say it.
ID_OF = {"route_id": "inbound route", "call_id": "call"}


@dataclass(frozen=True)
class Operation:
    summary: str
    ok: Any = None                  # a model, list[model] (answered as {"items": [...]}), dict, AUDIO, TEXT or None
    status: int = 200
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[Query] | None = None
    errors: tuple[int, ...] = ()
    ok_description: str = "OK"
    upload: str | None = None       # a request body of this media type, read as a stream (a file upload)


def doc(summary: str, **details: Any) -> Callable:
    """Describes an API view: put it under @requires, so the role and the description stay together."""
    operation = Operation(summary, **details)

    def mark(view: Callable) -> Callable:
        view.openapi = operation  # type: ignore[attr-defined]
        return view
    return mark


def operation_of(view: Callable) -> Operation | None:
    return getattr(view, "openapi", None)


def query_names(view: Callable) -> frozenset[str] | None:
    """The query parameters a view's description names; None for a view without one."""
    operation = operation_of(view)
    if operation is None:
        return None
    if operation.query is None:
        return frozenset()
    return frozenset(field.alias or name for name, field in operation.query.model_fields.items())


# --- OpenAPI 3.0's dialect ----------------------------------------------------------------------

def to_openapi30(schema: Any) -> Any:
    """JSON Schema as pydantic writes it (2020-12) in OpenAPI 3.0's words: null as `nullable`, `const`
    as a one-value enum, a $ref with words beside it wrapped in allOf; no titles."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: Schema = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key == "properties":
            out[key] = {name: to_openapi30(prop) for name, prop in value.items()}
        elif key == "const":
            out["enum"] = [value]
        else:
            out[key] = to_openapi30(value)
    for choice in ("anyOf", "oneOf"):
        options = out.get(choice)
        if options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out[choice]
            if len(rest) == 1:
                only = rest[0]
                out = {**({"allOf": [only]} if "$ref" in only else only), **out}
            else:
                out[choice] = rest
            out["nullable"] = True
            if "enum" in out:        # OpenAPI 3.0.3: an enum that allows null lists it
                out["enum"] = [*out["enum"], None]
    if "$ref" in out and len(out) > 1:
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    if out.get("default", 0) is None and not out.get("nullable"):
        del out["default"]      # an optional field that is not nullable: left out, never null
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[inclusive], out[bound] = out[bound], True
    return out


# --- the description ----------------------------------------------------------------------------

def _models(operations: list[Operation], extra: tuple[type[BaseModel], ...]) -> tuple[dict, Schema]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for op in operations:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        ok = get_args(op.ok)[0] if get_origin(op.ok) is list else op.ok
        if isinstance(ok, type) and issubclass(ok, BaseModel):
            wanted[(ok, "serialization")] = None
    for model in extra:
        wanted.setdefault((model, "validation"), None)
    refs, top = models_json_schema(list(wanted), ref_template="#/components/schemas/{model}")
    # A model read and answered differently (every field optional in a change, present in an answer)
    # gets two schemas; pydantic names them X-Input and X-Output: here XChange and X.
    text = json.dumps([{f"{model.__name__} {mode}": ref for (model, mode), ref in refs.items()}, top.get("$defs", {})])
    refs_by_name, schemas = json.loads(re.sub(r'(\w)-Input"', r'\1Change"', re.sub(r'(\w)-Output"', r'\1"', text)))
    refs = {(model, mode): refs_by_name[f"{model.__name__} {mode}"] for model, mode in refs}
    return refs, {name: to_openapi30(schema) for name, schema in sorted(schemas.items())}


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(op: Operation, refs: dict) -> Schema:
    if op.ok is None:
        return {"description": op.ok_description}
    if op.ok == AUDIO:
        return {"description": op.ok_description,
                "content": {AUDIO: {"schema": {"type": "string", "format": "binary"}}}}
    if op.ok == TEXT:
        return {"description": op.ok_description, "content": {TEXT: {"schema": {"type": "string"}}}}
    if op.ok is dict:
        return {"description": op.ok_description, **_json({"type": "object"})}
    if get_origin(op.ok) is list:
        item = refs[(get_args(op.ok)[0], "serialization")]
        return {"description": op.ok_description, **_json(
            {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}}})}
    return {"description": op.ok_description, **_json(refs[(op.ok, "serialization")])}


_ID_SCHEMA = to_openapi30(TypeAdapter(Id).json_schema())


def _path_parameters(names: list[str]) -> list[Schema]:
    return [{"name": name, "in": "path", "required": True,
             "description": f"the {ID_OF.get(name, name.removesuffix('_id').replace('_', ' '))}'s id",
             "schema": dict(_ID_SCHEMA)} for name in names]


def _query_parameters(model: type[Query]) -> list[Schema]:
    properties = model.model_json_schema(mode="validation", by_alias=True)["properties"]
    parameters = []
    for name, schema in properties.items():
        schema = to_openapi30(schema)
        description = schema.pop("description", "")
        # An empty value means the parameter was left out (a page's filter form sends empty inputs).
        parameters.append({"name": name, "in": "query", "required": False, "allowEmptyValue": True,
                           "description": description, "schema": schema})
    return parameters


def _operation(op: Operation, role: str, path_names: list[str], refs: dict) -> Schema:
    codes = {401, 403, *op.errors}
    if path_names:
        codes.add(404)          # no such row, or an id no row can have
    if op.body is not None or op.query is not None or op.upload is not None:
        codes.add(400)
    responses = {str(op.status): _ok(op, refs)}
    for code in sorted(codes):
        responses[str(code)] = {"description": ERRORS[code], **_json({"$ref": "#/components/schemas/Error"})}
    described: Schema = {"summary": op.summary, "x-required-role": role, "responses": dict(sorted(responses.items()))}
    if op.body is not None:
        described["requestBody"] = {"required": op.body_required, **_json(refs[(op.body, "validation")])}
    if op.upload is not None:
        described["requestBody"] = {"required": True,
                                    "content": {op.upload: {"schema": {"type": "string", "format": "binary"}}}}
    if op.query is not None:
        described["parameters"] = _query_parameters(op.query)
    return described


def document(app: Flask, extra_models: tuple[type[BaseModel], ...] = ()) -> Schema:
    """The description of every route under /api/v1 of `app`; a route without @doc is refused."""
    found: list[tuple[str, str, Operation, str, list[str]]] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        op = operation_of(view)
        if op is None:
            raise RuntimeError(f"API view {rule.endpoint} has no @doc")
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX):])
        names = re.findall(r"{(\w+)}", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), op, view.required_role, names))
    refs, schemas = _models([op for _, _, op, _, _ in found], extra_models)
    paths: dict[str, Schema] = {}
    for path, method, op, role, names in sorted(found, key=lambda f: f[:2]):
        item = paths.setdefault(path, {})
        if names:
            item["parameters"] = _path_parameters(names)
        item[method] = _operation(op, role, names, refs)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Callbox API", "version": "1",
                 "description": "Configuration, agent logins, call records and live status of the box. "
                                "Every call needs `Authorization: Bearer <token>` (`callbox token create`). "
                                "Roles: admin ≥ supervisor ≥ agent; `x-required-role` names the least role."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
