"""The admin's trunk page: the list, create and delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from firmware.store import queries
from webui.access import actor, requires
from webui.db import get_db
from webui.pages import submit
from webui.trunks import service

bp = Blueprint("trunks", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    return render_template("trunks/list.html", form=form or {}, error=error,
                           trunks=queries.list_trunks(get_db()), types=service.TRUNK_TYPES,
                           dialects=service.DIALECTS), status


@bp.get("/trunks")
@requires("admin")
def trunks():
    return _page()


@bp.post("/trunks")
@requires("admin")
def create_trunk():
    return submit(_page, lambda: service.create_trunk(get_db(), actor(), request.form),
                  _("Trunk %(trunk)s created.", trunk=request.form.get("name", "").strip()))


@bp.post("/trunks/<id:trunk_id>/delete")
@requires("admin")
def delete_trunk(trunk_id: int):
    service.delete_trunk(get_db(), actor(), trunk_id)
    flash(_("Trunk deleted."))
    return redirect(url_for("trunks.trunks"))
