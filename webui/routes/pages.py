"""The admin's inbound route page: the list, create and delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from firmware.store import queries
from webui.access import actor, requires
from webui.db import get_db
from webui.pages import submit
from webui.routes import service

bp = Blueprint("routes", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    queues = queries.list_queues(get_db())
    return render_template("routes/list.html", form=form or {}, error=error,
                           routes=queries.list_inbound_routes(get_db()), queues=queues,
                           queue_names={q["id"]: q["name"] for q in queues}), status


@bp.get("/inbound-routes")
@requires("admin")
def routes():
    return _page()


@bp.post("/inbound-routes")
@requires("admin")
def create_route():
    return submit(_page, lambda: service.create_route(get_db(), actor(), request.form),
                  _("Route for %(did)s created.", did=request.form.get("did", "").strip()))


@bp.post("/inbound-routes/<id:route_id>/delete")
@requires("admin")
def delete_route(route_id: int):
    service.delete_route(get_db(), actor(), route_id)
    flash(_("Route deleted."))
    return redirect(url_for("routes.routes"))
