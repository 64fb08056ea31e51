"""The alarms list (ACD15): open alarms first, then past ones, as the engine keeps them in the store
(so the list works while the engine is down), with whether each notice went out. Supervisors and up."""

from __future__ import annotations

from flask import Blueprint, render_template

from webui.access import requires
from webui.alarms.service import alarm_rows
from webui.db import get_db

bp = Blueprint("alarms", __name__, template_folder="templates")


@bp.get("/alarms")
@requires("supervisor")
def alarms():
    rows = alarm_rows(get_db())
    return render_template("alarms/list.html", open_alarms=[r for r in rows if r["open"]],
                           past_alarms=[r for r in rows if not r["open"]])
