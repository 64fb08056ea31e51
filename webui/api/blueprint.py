"""The API's blueprint, alone in a leaf module: each domain's `api` module registers its resources on
it, and webui.api.registry imports those modules, so none of them needs to import the registry back."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
