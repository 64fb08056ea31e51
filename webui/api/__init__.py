"""The REST API under /api/v1: JSON in and out, authenticated by bearer tokens only."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webui.api import resources  # noqa: E402,F401  (registers the routes on bp)
