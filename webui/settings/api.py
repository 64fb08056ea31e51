"""The API's settings: read (supervisor) and change (admin)."""

from __future__ import annotations

from flask import jsonify

from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.settings.schema import Settings
from webui.api.respond import read_body
from webui.db import get_db
from webui.settings import service


@bp.get("/settings")
@requires("supervisor")
@doc("The box's settings", ok=Settings)
def get_settings():
    return jsonify(service.get_settings(get_db()))


@bp.put("/settings")
@requires("admin")
@doc("Change settings (only those given)", ok=Settings, body=Settings)
def update_settings():
    return jsonify(service.update_settings(get_db(), actor(), read_body()))
