"""The admin's agent pages: the list, create and deactivate, and an agent's own rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from firmware.acd.settings import SettingsError
from firmware.store import queries
from webui.access import actor, requires
from webui.agents import form as agent_form
from webui.agents import service
from webui.db import get_db
from webui.fields import FieldError
from webui.i18n import not_saved
from webui.pages import settings_error, show_inactive, submit

bp = Blueprint("agents", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    conn = get_db()
    return render_template("agents/list.html", form=form or {}, error=error,
                           agents=queries.list_agents(conn, inactive=show_inactive()),
                           inactive=show_inactive()), status


@bp.get("/agents")
@requires("admin")
def agents():
    return _page()


@bp.post("/agents")
@requires("admin")
def create_agent():
    return submit(_page, lambda: service.create_agent(get_db(), actor(), request.form),
                  _("Agent %(extension)s created.", extension=request.form.get("extension", "").strip()))


@bp.post("/agents/<id:agent_id>/delete")
@requires("admin")
def delete_agent(agent_id: int):
    return submit(_page, lambda: service.deactivate_agent(get_db(), actor(), agent_id),
                  _("Agent deactivated: out of their queues, phone refused, extension free; their calls keep "
                    "their name."))


# --- an agent's own rules ---------------------------------------------------------------------


def _agent_page(agent: dict, values: agent_form.Values, *, errors: dict[str, str] | None = None,
                error: str | None = None, status: int = 200):
    return render_template("agents/agent.html", agent=agent, values=values, errors=errors or {}, error=error), status


@bp.get("/agents/<id:agent_id>")
@requires("admin")
def agent(agent_id: int):
    row = service.require_agent(get_db(), agent_id)
    return _agent_page(row, agent_form.settings_to_form(row["settings"]))


@bp.post("/agents/<id:agent_id>")
@requires("admin")
def save_agent(agent_id: int):
    """Saved through the API's own update (check, audit entry, engine reload); a mistake shows the
    form again as typed, with the message at its input, and saves nothing."""
    conn = get_db()
    row = service.require_agent(conn, agent_id)
    values = agent_form.read_form(request.form)
    try:
        service.update_agent(conn, actor(), agent_id, {"settings": agent_form.form_to_settings(values)})
    except (SettingsError, FieldError) as exc:
        field, message = settings_error(exc)
        name, message = agent_form.error_input(field, message)
        errors = {name: message} if name else {}
        return _agent_page(row, values, errors=errors, error=not_saved(field, message), status=400)
    flash(_("Agent %(extension)s saved.", extension=row["extension"]))
    return redirect(url_for("agents.agent", agent_id=agent_id))
