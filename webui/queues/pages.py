"""The admin's queue pages: the list with members, create and delete, and a queue's rules."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from firmware.acd.settings import SettingsError
from firmware.store import queries
from webui.access import actor, requires
from webui.db import get_db
from webui.fields import FieldError
from webui.i18n import not_saved
from webui.pages import settings_error, submit
from webui.queues import form as queue_form
from webui.queues import service

bp = Blueprint("queues", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200):
    conn = get_db()
    queues = queries.list_queues(conn)
    for queue in queues:
        queue["members"] = queries.list_queue_members(conn, queue["id"])
    return render_template("queues/list.html", form=form or {}, error=error, queues=queues,
                           agents=queries.list_agents(conn), strategies=queue_form.STRATEGIES), status


@bp.get("/queues")
@requires("admin")
def queues():
    return _page()


@bp.post("/queues")
@requires("admin")
def create_queue():
    return submit(_page, lambda: service.create_queue(get_db(), actor(), request.form),
                  _("Queue %(queue)s created.", queue=request.form.get("name", "").strip()))


@bp.post("/queues/<id:queue_id>/delete")
@requires("admin")
def delete_queue(queue_id: int):
    return submit(_page, lambda: service.delete_queue(get_db(), actor(), queue_id), _("Queue deleted."))


@bp.post("/queues/<id:queue_id>/members")
@requires("admin")
def add_member(queue_id: int):
    return submit(_page, lambda: service.add_member(get_db(), actor(), queue_id, request.form), _("Member added."))


@bp.post("/queues/<id:queue_id>/members/<id:agent_id>/delete")
@requires("admin")
def remove_member(queue_id: int, agent_id: int):
    service.remove_member(get_db(), actor(), queue_id, agent_id)
    flash(_("Member removed."))
    return redirect(url_for("queues.queues"))


# --- a queue's rules ---------------------------------------------------------------------------


def _agent_inputs(conn, queue: dict, values: queue_form.Values) -> dict[str, Any]:
    """The agents the form offers: members to order and weigh, every agent for stand-by; and any
    agent the rules name that is not among them, so that saving keeps it."""
    order = queue_form.agent_ids(values["member_order"])
    members = queue_form.agent_choices(queries.list_queue_members(conn, queue["id"]), order,
                                       queue_form.weighted_agent_ids(values))
    standby = queue_form.agent_ids(values["standby.agents"])
    return {"member_choices": members, "order_slots": order + [""] * (len(members) - len(order)),
            "standby_choices": queue_form.agent_choices(queries.list_agents(conn), standby), "standby_ids": standby}


def _rules_page(queue: dict, values: queue_form.Values, *, errors: dict[str, str] | None = None,
                error: str | None = None, status: int = 200):
    conn = get_db()
    return render_template(
        "queues/rules.html", queue=queue, values=values, errors=errors or {}, error=error,
        overflow=queue_form.overflow_rows(values, blank=queue_form.EMPTY_OVERFLOW_ROWS),
        skill_rules=queue_form.skill_rule_rows(values, blank=queue_form.EMPTY_SKILL_RULE_ROWS),
        strategies=queue_form.STRATEGIES, conditions=queue_form.CONDITIONS, kinds=queue_form.DESTINATION_KINDS,
        weekdays=queue_form.WEEKDAYS, timezones=sorted(available_timezones()),
        queues=queries.list_queues(conn), **_agent_inputs(conn, queue, values)), status


@bp.get("/queues/<id:queue_id>/rules")
@requires("admin")
def queue_rules(queue_id: int):
    queue = service.require_queue(get_db(), queue_id)
    return _rules_page(queue, queue_form.settings_to_form(queue["settings"], queue["strategy"]))


@bp.post("/queues/<id:queue_id>/rules")
@requires("admin")
def save_queue_rules(queue_id: int):
    """Saved through the API's own update (same checks, audit entry and engine reload); a mistake
    shows the form again as typed, with the message at the input it concerns, and saves nothing."""
    conn = get_db()
    queue = service.require_queue(conn, queue_id)
    values = queue_form.read_form(request.form)
    settings: dict[str, Any] = {}
    try:
        settings = queue_form.form_to_settings(values)
        service.update_queue(conn, actor(), queue_id, {"strategy": values["strategy"], "settings": settings})
    except (SettingsError, FieldError) as exc:
        field, message = settings_error(exc)
        name, message = queue_form.error_input(field, message, settings)
        errors = {name: message} if name else {}
        return _rules_page(queue, values, errors=errors, error=not_saved(field, message), status=400)
    flash(_("Rules of queue %(queue)s saved.", queue=queue["name"]))
    return redirect(url_for("queues.queue_rules", queue_id=queue_id))
