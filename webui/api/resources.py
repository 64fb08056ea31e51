"""What every API resource shares: the OpenAPI description, generated once per app and served, and
held to (a query parameter it does not name is refused). The resources themselves live in each
domain's `api` module."""

from __future__ import annotations

from flask import current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from webui.access import current_identity, requires
from webui.api.blueprint import bp
from webui.api.openapi import document, doc, query_names
from webui.settings.schema import EmailChannel, SmsChannel

# Models the description names only through a schema written by hand (a channel's "off" form).
REFERENCED_MODELS = (EmailChannel, SmsChannel)


def description() -> dict:
    """The app's OpenAPI description, generated at its first use."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = document(current_app, REFERENCED_MODELS)
    return current_app.extensions["openapi"]


@bp.before_request
def refuse_unknown_query_parameters():
    """A query parameter the description does not name is refused, not ignored (a misspelt filter
    would list everything). After the token check, so a stranger learns nothing."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    known = query_names(view) if view is not None else None
    if known is None:
        return
    current_identity()
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise BadRequest(f"{unknown[0][:40]}: is not a parameter of this operation"
                         + (f" (it takes {', '.join(sorted(known))})" if known else ""))


@bp.get("/openapi.json")
@requires("agent")
@doc("This description", ok=dict)
def openapi():
    return jsonify(description())
