"""Who is asking and what they may do: a session for pages, a bearer token for the API, one role check.

The API never looks at the session cookie: a cookie is sent by the browser on its own, so letting it
authenticate the API (which is exempt from CSRF) would open the API to cross-site requests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from flask import Flask, abort, g, redirect, request, session, url_for
from werkzeug.exceptions import Unauthorized

from firmware.store import queries
from firmware.message import Message, N_
from webui.db import get_db

ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3}

# The views nobody needs to be logged in for; every other view must carry @requires.
PUBLIC_ENDPOINTS = {"static"}


@dataclass(frozen=True)
class Identity:
    name: str                   # what the audit log records as the actor
    role: str
    user_id: int | None = None  # None for an API token
    agent_id: int | None = None  # the agent a user answers calls as, if any

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def current_identity() -> Identity | None:
    if "identity" not in g:
        g.identity = _token_identity() if is_api_request() else _session_identity()
    return g.identity


def _session_identity() -> Identity | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = queries.get_user(get_db(), user_id)
    if user is None or user["deactivated_at"] is not None:  # deactivated since the login
        session.clear()
        return None
    return Identity(user["username"], user["role"], user["id"], user["agent_id"])


def _token_identity() -> Identity | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    found = queries.token_identity(get_db(), token.strip())
    if found is None:
        raise Unauthorized("invalid token")
    label = f":{found['label']}" if found["label"] else ""
    return Identity(f"token#{found['id']}{label}", found["role"])


def requires(role: str, *, or_own_agent: bool = False) -> Callable:
    """Lets a view run for `role` and the roles above it (admin ≥ supervisor ≥ agent).

    With or_own_agent, a user linked to an agent may also act on that agent (the view's
    `agent_id` argument), e.g. log themselves in to their queues.
    """
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            identity = current_identity()
            if identity is None:
                if is_api_request():
                    raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
                # Back to a page after the login; a form's POST cannot be replayed, so not to that.
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("auth.login", next=target))
            own = or_own_agent and identity.agent_id is not None and kwargs.get("agent_id") == identity.agent_id
            if not identity.at_least(role) and not own:
                abort(403, Message("this needs the {role} role", role=role))
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: Callable) -> Callable:
    """Marks a view that must be reachable without a login (setup and login)."""
    view.required_role = None  # type: ignore[attr-defined]
    return view


def actor() -> str:
    identity = current_identity()
    return identity.name if identity else "-"


def check_every_view(app: Flask) -> None:
    """Refuses to start an app with a view that forgot its role check."""
    for endpoint, view in app.view_functions.items():
        if endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, "required_role"):
            raise RuntimeError(f"view {endpoint} has neither @requires nor @public")


NAV = (      # labels worded by the page header (base.html)
    ("live.board", N_("Live"), "agent"),
    ("wallboard.page", N_("Wallboard"), "supervisor"),
    ("calls.calls", N_("Calls"), "agent"),
    ("callbacks.callbacks", N_("Callbacks"), "agent"),
    ("alarms.alarms", N_("Alarms"), "supervisor"),
    ("sms.messages", N_("SMS"), "supervisor"),
    ("agents.agents", N_("Agents"), "admin"),
    ("queues.queues", N_("Queues"), "admin"),
    ("trunks.trunks", N_("Trunks"), "admin"),
    ("routes.routes", N_("Inbound routes"), "admin"),
    ("users.users", N_("Users"), "admin"),
    ("settings.pause_reasons", N_("Settings"), "admin"),
    ("users.audit", N_("Audit log"), "admin"),
    ("update.update", N_("Update"), "admin"),
    ("backup.backup", N_("Backup"), "admin"),
)


def init_app(app: Flask) -> None:
    @app.before_request
    def first_run():
        """Until the first admin exists, every page leads to the setup form."""
        if is_api_request() or request.endpoint in ("static", "auth.setup"):
            return None
        if queries.count_users(get_db()) == 0:
            return redirect(url_for("auth.setup"))
        return None

    @app.context_processor
    def navigation():
        if is_api_request():
            return {}
        identity = current_identity()
        nav = [(e, label) for e, label, role in NAV if identity and identity.at_least(role)]
        return {"identity": identity, "nav": nav}
