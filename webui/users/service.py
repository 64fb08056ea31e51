"""The users' writes: create and deactivate; a login password's checks and hash."""

from __future__ import annotations

from flask import current_app
from werkzeug.exceptions import Conflict, NotFound
from werkzeug.security import generate_password_hash

from firmware.store import queries
from firmware.message import Message
from webui import fields
from webui.agents.service import require_agent
from webui.fields import FieldError
from webui.service import Data, Row, change, checked_password

MIN_USER_PASSWORD = 8
USERNAME = dict(max_length=64, pattern=r"[A-Za-z0-9._@-]+", hint="may contain letters, digits and . _ @ - only")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def new_password(data: Data) -> str:
    """A login password typed twice."""
    password = checked_password(data, "password", MIN_USER_PASSWORD)
    if data.get("password2") != password:
        raise FieldError("password2", "the passwords differ")
    return password


def deactivate_user(conn, actor: str, user_id: int, *, acting_user_id: int | None) -> Row:
    """The user can no longer log in; the audit log keeps their name. The last active admin stays
    (the console's `callbox admin reset-password` is the way back in, not a web without admin)."""
    user = queries.get_user(conn, user_id)
    if user is None or user["deactivated_at"] is not None:
        raise NotFound(Message("no active user {user_id}", user_id=user_id))
    if user_id == acting_user_id:
        raise Conflict(Message("you cannot deactivate yourself: ask another admin"))
    with change(conn, {}):
        if user["role"] == "admin" and queries.count_active_admins(conn) <= 1:
            raise Conflict(Message("{username} is the last admin", username=user["username"]))
        queries.deactivate_user(conn, user_id)
        queries.audit(conn, actor, "user.deactivate", f"username={user['username']} role={user['role']}")
    return user


def create_user(conn, actor: str, data: Data) -> Row:
    username = fields.text(data, "username", **USERNAME)
    role = fields.choice(data, "role", queries.ROLES)
    agent_id = fields.identifier(data, "agent_id", required=False)
    password = new_password(data)
    if agent_id is not None:
        require_agent(conn, agent_id)
    with change(conn, {"username": username}):
        user = queries.create_user(conn, username, hash_password(password), role, agent_id)
        queries.audit(conn, actor, "user.create", f"username={username} role={role} agent_id={agent_id}")
    return user

