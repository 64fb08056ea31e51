"""The admin's user page (create, deactivate) and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from firmware.store import queries
from webui.access import actor, current_identity, requires
from webui.db import get_db
from webui.pages import show_inactive, submit
from webui.users import service

bp = Blueprint("users", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    conn = get_db()
    agents = queries.list_agents(conn)
    every_agent = queries.list_agents(conn, inactive=True)     # a user may be linked to a former agent
    return render_template("users/list.html", form=form or {}, error=error,
                           users=queries.list_users(conn, inactive=show_inactive()), roles=queries.ROLES,
                           agents=agents, agent_names={a["id"]: f"{a['extension']} {a['name']}" for a in every_agent},
                           inactive=show_inactive()), status


@bp.get("/users")
@requires("admin")
def users():
    return _page()


@bp.post("/users")
@requires("admin")
def create_user():
    return submit(_page, lambda: service.create_user(get_db(), actor(), request.form),
                  _("User %(name)s created.", name=request.form.get("username", "").strip()))


@bp.post("/users/<id:user_id>/deactivate")
@requires("admin")
def deactivate_user(user_id: int):
    identity = current_identity()
    return submit(_page, lambda: service.deactivate_user(get_db(), actor(), user_id,
                                                            acting_user_id=identity.user_id),
                   _("User deactivated: they can no longer log in; the audit log keeps their name."))


@bp.get("/audit")
@requires("admin")
def audit():
    return render_template("users/audit.html", entries=queries.list_audit(get_db(), limit=500))
