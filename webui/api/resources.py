"""What every API resource shares: the OpenAPI description, served and held to (a query parameter
it does not name is refused). The resources themselves live in each domain's `api` module."""

from __future__ import annotations

import re

from flask import jsonify, request
from werkzeug.exceptions import BadRequest

from webui.access import current_identity, requires
from webui.api import bp
from webui.api.openapi import SPEC


def _query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters the description names, per (route as Flask writes it, method)."""
    found = {}
    for path, item in SPEC["paths"].items():
        rule = bp.url_prefix + re.sub(r"{(\w+)}", r"<id:\1>", path)
        for method, op in item.items():
            if method != "parameters":
                found[(rule, method.upper())] = frozenset(p["name"] for p in op.get("parameters", ())
                                                          if p["in"] == "query")
    return found


QUERY_PARAMETERS = _query_parameters()


@bp.before_request
def refuse_unknown_query_parameters():
    """A query parameter the description does not name is refused, not ignored (a misspelt filter
    would list everything). After the token check, so a stranger learns nothing."""
    known = QUERY_PARAMETERS.get((request.url_rule.rule, request.method)) if request.url_rule else None
    if known is None:
        return
    current_identity()
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise BadRequest(f"{unknown[0][:40]}: is not a parameter of this operation"
                         + (f" (it takes {', '.join(sorted(known))})" if known else ""))


@bp.get("/openapi.json")
@requires("agent")
def openapi():
    return jsonify(SPEC)
