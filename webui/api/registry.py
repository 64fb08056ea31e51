"""Every domain's API resources, registered on the blueprint by importing their `api` modules:
`bp` here carries every route (in this order)."""

from webui.api.blueprint import bp
from webui.api import resources  # noqa: F401
from webui.agents import api as agents_api  # noqa: F401
from webui.queues import api as queues_api  # noqa: F401
from webui.trunks import api as trunks_api  # noqa: F401
from webui.routes import api as routes_api  # noqa: F401
from webui.calls import api as calls_api  # noqa: F401
from webui.live import api as live_api  # noqa: F401
from webui.callbacks import api as callbacks_api  # noqa: F401
from webui.alarms import api as alarms_api  # noqa: F401
from webui.settings import api as settings_api  # noqa: F401
from webui.sms import api as sms_api  # noqa: F401
from webui.wallboard import api as wallboard_api  # noqa: F401
from webui.update import api as update_api  # noqa: F401
from webui.backup import api as backup_api  # noqa: F401

__all__ = ["bp"]
