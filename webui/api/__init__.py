"""The REST API under /api/v1: JSON in and out, authenticated by bearer tokens only. Each domain
registers its resources on this blueprint from its own `api` module."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Registering the routes on bp (after bp exists: each module takes it from here).
from webui.api import resources  # noqa: E402,F401
from webui.agents import api as agents_api  # noqa: E402,F401
from webui.queues import api as queues_api  # noqa: E402,F401
from webui.trunks import api as trunks_api  # noqa: E402,F401
from webui.routes import api as routes_api  # noqa: E402,F401
from webui.calls import api as calls_api  # noqa: E402,F401
from webui.live import api as live_api  # noqa: E402,F401
from webui.callbacks import api as callbacks_api  # noqa: E402,F401
from webui.alarms import api as alarms_api  # noqa: E402,F401
from webui.settings import api as settings_api  # noqa: E402,F401
