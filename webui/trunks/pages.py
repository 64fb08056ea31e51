"""The admin's trunk page: the list, create and delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict, NotFound, ServiceUnavailable

from firmware.store import queries
from webui.access import actor, requires
from webui.db import get_db
from webui import engine
from webui.i18n import word
from webui.pages import submit
from webui.trunks import service

bp = Blueprint("trunks", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    trunks = queries.list_trunks(get_db())
    return render_template("trunks/list.html", form=form or {}, error=error, trunks=trunks,
                           lines=_lines(trunks), types=service.TRUNK_TYPES, dialects=service.DIALECTS), status


def _lines(trunks) -> dict[int, dict | None] | None:
    """The fxo trunks' lines as the engine sees them; None when it cannot be asked."""
    if not any(t["type"] == "fxo" for t in trunks):
        return {}
    try:
        known = engine.command("trunks").get("trunks", [])
    except (ServiceUnavailable, Conflict):
        return None
    return {t.get("id"): t.get("line") for t in known if isinstance(t, dict)}


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


@bp.post("/trunks/<id:trunk_id>/line-test")
@requires("admin")
def test_line(trunk_id: int):
    """The card test (off hook, dial tone?): started here, its result shown on the list a few seconds later."""
    try:
        service.start_line_test(get_db(), actor(), trunk_id)
    except (NotFound, Conflict, ServiceUnavailable) as exc:
        flash(word(exc.description))
    else:
        flash(_("Line test started: its result shows here in a few seconds."))
    return redirect(url_for("trunks.trunks"))
