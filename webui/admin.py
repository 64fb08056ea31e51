"""The admin's configuration pages: agents, queues and their members, trunks, inbound routes, users, audit."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from firmware.acd.settings import SettingsError
from firmware.store import queries
from webui import actions, agent_form, queue_form
from webui.access import actor, current_identity, requires
from webui.db import get_db
from webui.fields import FieldError

bp = Blueprint("admin", __name__)


def _show_inactive() -> bool:
    return request.args.get("inactive") == "1"


def _agents(conn) -> dict[str, Any]:
    return {"agents": queries.list_agents(conn, inactive=_show_inactive()), "inactive": _show_inactive()}


def _queues(conn) -> dict[str, Any]:
    queues = queries.list_queues(conn)
    for queue in queues:
        queue["members"] = queries.list_queue_members(conn, queue["id"])
    return {"queues": queues, "agents": queries.list_agents(conn), "strategies": actions.STRATEGIES}


def _trunks(conn) -> dict[str, Any]:
    return {"trunks": queries.list_trunks(conn), "types": actions.TRUNK_TYPES}


def _routes(conn) -> dict[str, Any]:
    queues = queries.list_queues(conn)
    return {"routes": queries.list_inbound_routes(conn), "queues": queues,
            "queue_names": {q["id"]: q["name"] for q in queues}}


def _users(conn) -> dict[str, Any]:
    agents = queries.list_agents(conn)
    every_agent = queries.list_agents(conn, inactive=True)     # a user may be linked to a former agent
    return {"users": queries.list_users(conn, inactive=_show_inactive()), "roles": queries.ROLES, "agents": agents,
            "agent_names": {a["id"]: f"{a['extension']} {a['name']}" for a in every_agent},
            "inactive": _show_inactive()}


_PAGES: dict[str, Callable] = {"agents": _agents, "queues": _queues, "trunks": _trunks, "routes": _routes,
                               "users": _users}


def _page(name: str, *, form: Any = None, error: str | None = None, status: int = 200):
    context = _PAGES[name](get_db())
    return render_template(f"admin/{name}.html", form=form or {}, error=error, **context), status


def _submit(name: str, change: Callable[[], Any], done: str):
    """Runs a change from a form: back to the list on success, the form with its values on a mistake."""
    try:
        change()
    except (BadRequest, NotFound, Conflict) as exc:
        return _page(name, form=request.form, error=exc.description, status=exc.code)
    flash(done)
    return redirect(url_for(f"admin.{name}"))


# --- agents -----------------------------------------------------------------------------------

@bp.get("/agents")
@requires("admin")
def agents():
    return _page("agents")


@bp.post("/agents")
@requires("admin")
def create_agent():
    return _submit("agents", lambda: actions.create_agent(get_db(), actor(), request.form),
                   f"Agent {request.form.get('extension', '').strip()} created.")


@bp.post("/agents/<id:agent_id>/delete")
@requires("admin")
def delete_agent(agent_id: int):
    return _submit("agents", lambda: actions.deactivate_agent(get_db(), actor(), agent_id),
                   "Agent deactivated: out of their queues, phone refused, extension free; their calls keep "
                   "their name.")


# --- an agent's own rules ---------------------------------------------------------------------

def _agent_page(agent: dict, values: agent_form.Values, *, errors: dict[str, str] | None = None,
                error: str | None = None, status: int = 200):
    return render_template("admin/agent.html", agent=agent, values=values, errors=errors or {}, error=error), status


@bp.get("/agents/<id:agent_id>")
@requires("admin")
def agent(agent_id: int):
    row = actions.require_agent(get_db(), agent_id)
    return _agent_page(row, agent_form.settings_to_form(row["settings"]))


@bp.post("/agents/<id:agent_id>")
@requires("admin")
def save_agent(agent_id: int):
    """Saved through the API's own update (check, audit entry, engine reload); a mistake shows the
    form again as typed, with the message at its input, and saves nothing."""
    conn = get_db()
    row = actions.require_agent(conn, agent_id)
    values = agent_form.read_form(request.form)
    try:
        actions.update_agent(conn, actor(), agent_id, {"settings": agent_form.form_to_settings(values)})
    except (SettingsError, FieldError) as exc:
        field, message = _settings_error(exc)
        name, message = agent_form.error_input(field, message)
        errors = {name: message} if name else {}
        return _agent_page(row, values, errors=errors, error=f"Not saved: {field}: {message}", status=400)
    flash(f"Agent {row['extension']} saved.")
    return redirect(url_for("admin.agent", agent_id=agent_id))


# --- queues -----------------------------------------------------------------------------------

@bp.get("/queues")
@requires("admin")
def queues():
    return _page("queues")


@bp.post("/queues")
@requires("admin")
def create_queue():
    return _submit("queues", lambda: actions.create_queue(get_db(), actor(), request.form),
                   f"Queue {request.form.get('name', '').strip()} created.")


@bp.post("/queues/<id:queue_id>/delete")
@requires("admin")
def delete_queue(queue_id: int):
    return _submit("queues", lambda: actions.delete_queue(get_db(), actor(), queue_id), "Queue deleted.")


@bp.post("/queues/<id:queue_id>/members")
@requires("admin")
def add_member(queue_id: int):
    return _submit("queues", lambda: actions.add_member(get_db(), actor(), queue_id, request.form), "Member added.")


@bp.post("/queues/<id:queue_id>/members/<id:agent_id>/delete")
@requires("admin")
def remove_member(queue_id: int, agent_id: int):
    actions.remove_member(get_db(), actor(), queue_id, agent_id)
    flash("Member removed.")
    return redirect(url_for("admin.queues"))


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
        "admin/queue_rules.html", queue=queue, values=values, errors=errors or {}, error=error,
        overflow=queue_form.overflow_rows(values, blank=queue_form.EMPTY_OVERFLOW_ROWS),
        skill_rules=queue_form.skill_rule_rows(values, blank=queue_form.EMPTY_SKILL_RULE_ROWS),
        strategies=queue_form.STRATEGIES, conditions=queue_form.CONDITIONS, kinds=queue_form.DESTINATION_KINDS,
        weekdays=queue_form.WEEKDAYS, timezones=sorted(available_timezones()),
        queues=queries.list_queues(conn), **_agent_inputs(conn, queue, values)), status


@bp.get("/queues/<id:queue_id>/rules")
@requires("admin")
def queue_rules(queue_id: int):
    queue = actions.require_queue(get_db(), queue_id)
    return _rules_page(queue, queue_form.settings_to_form(queue["settings"], queue["strategy"]))


@bp.post("/queues/<id:queue_id>/rules")
@requires("admin")
def save_queue_rules(queue_id: int):
    """Saved through the API's own update (same checks, audit entry and engine reload); a mistake
    shows the form again as typed, with the message at the input it concerns, and saves nothing."""
    conn = get_db()
    queue = actions.require_queue(conn, queue_id)
    values = queue_form.read_form(request.form)
    settings: dict[str, Any] = {}
    try:
        settings = queue_form.form_to_settings(values)
        actions.update_queue(conn, actor(), queue_id, {"strategy": values["strategy"], "settings": settings})
    except (SettingsError, FieldError) as exc:
        field, message = _settings_error(exc)
        name, message = queue_form.error_input(field, message, settings)
        errors = {name: message} if name else {}
        return _rules_page(queue, values, errors=errors, error=f"Not saved: {field}: {message}", status=400)
    flash(f"Rules of queue {queue['name']} saved.")
    return redirect(url_for("admin.queue_rules", queue_id=queue_id))


def _settings_error(exc: SettingsError | FieldError) -> tuple[str, str]:
    """The parser's field name and message; the API's FieldError carries them as "settings.<field>: <message>"."""
    text = str(exc) if isinstance(exc, SettingsError) else exc.description
    message = text[len(exc.field) + len(": "):]
    return exc.field.removeprefix("settings."), message


# --- trunks -----------------------------------------------------------------------------------

@bp.get("/trunks")
@requires("admin")
def trunks():
    return _page("trunks")


@bp.post("/trunks")
@requires("admin")
def create_trunk():
    return _submit("trunks", lambda: actions.create_trunk(get_db(), actor(), request.form),
                   f"Trunk {request.form.get('name', '').strip()} created.")


@bp.post("/trunks/<id:trunk_id>/delete")
@requires("admin")
def delete_trunk(trunk_id: int):
    actions.delete_trunk(get_db(), actor(), trunk_id)
    flash("Trunk deleted.")
    return redirect(url_for("admin.trunks"))


# --- inbound routes ---------------------------------------------------------------------------

@bp.get("/inbound-routes")
@requires("admin")
def routes():
    return _page("routes")


@bp.post("/inbound-routes")
@requires("admin")
def create_route():
    return _submit("routes", lambda: actions.create_route(get_db(), actor(), request.form),
                   f"Route for {request.form.get('did', '').strip()} created.")


@bp.post("/inbound-routes/<id:route_id>/delete")
@requires("admin")
def delete_route(route_id: int):
    actions.delete_route(get_db(), actor(), route_id)
    flash("Route deleted.")
    return redirect(url_for("admin.routes"))


# --- users and audit --------------------------------------------------------------------------

@bp.get("/users")
@requires("admin")
def users():
    return _page("users")


@bp.post("/users")
@requires("admin")
def create_user():
    return _submit("users", lambda: actions.create_user(get_db(), actor(), request.form),
                   f"User {request.form.get('username', '').strip()} created.")


@bp.post("/users/<id:user_id>/deactivate")
@requires("admin")
def deactivate_user(user_id: int):
    identity = current_identity()
    return _submit("users", lambda: actions.deactivate_user(get_db(), actor(), user_id,
                                                            acting_user_id=identity.user_id),
                   "User deactivated: they can no longer log in; the audit log keeps their name.")


@bp.get("/audit")
@requires("admin")
def audit():
    return render_template("admin/audit.html", entries=queries.list_audit(get_db(), limit=500))
