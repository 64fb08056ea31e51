"""First-run setup of the admin, login and logout for the pages."""

from __future__ import annotations

import time
from functools import cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from firmware.store import queries
from webui import actions, fields
from webui.access import public, requires, actor
from webui.db import get_db

bp = Blueprint("auth", __name__)


@bp.route("/setup", methods=("GET", "POST"))
@public
def setup():
    conn = get_db()
    if queries.count_users(conn):
        flash("The box is set up already; log in.", "error")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/setup.html", form={})
    try:
        username = fields.text(request.form, "username", **actions.USERNAME)
        password = actions.new_password(request.form)
    except HTTPException as exc:
        return render_template("auth/setup.html", form=request.form, error=exc.description), 400
    # Two browsers may submit at once: create_first_admin lets only the first one in.
    user = queries.create_first_admin(conn, username, actions.hash_password(password))
    if user is None:
        flash("Somebody else set the box up a moment ago; log in.", "error")
        return redirect(url_for("auth.login"))
    queries.audit(conn, username, "setup", "first admin created")
    _start_session(user)
    flash(f"Welcome, {username}. The box is yours.")
    return redirect(url_for("index"))


@bp.route("/login", methods=("GET", "POST"))
@public
def login():
    if request.method == "GET":
        return render_template("auth/login.html", form={})
    conn = get_db()
    config = current_app.config
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    user = queries.get_user_by_name(conn, username) if username else None
    now = time.time()
    if user is not None and user["locked_until"] is not None:
        if user["locked_until"] > now:
            queries.audit(conn, username, "login.locked")
            minutes = max(1, round((user["locked_until"] - now) / 60))
            error = f"Too many failed logins: this account is locked for {minutes} more minute(s)."
            return render_template("auth/login.html", form=request.form, error=error), 429
        queries.reset_failed_logins(conn, user["id"])  # the lock ran out: a fresh count
    if user is None:
        check_password_hash(_decoy_hash(), password)  # the same time as for a real user
    elif check_password_hash(user["password_hash"], password):
        queries.reset_failed_logins(conn, user["id"])
        queries.audit(conn, username, "login")
        _start_session(user)
        return redirect(_safe_next(request.args.get("next")))
    else:
        queries.record_failed_login(conn, user["id"], config["LOGIN_LOCK_AFTER"], config["LOGIN_LOCK_SECONDS"])
    queries.audit(conn, username or "-", "login.failed")
    return render_template("auth/login.html", form=request.form, error="Wrong username or password."), 401


@bp.post("/logout")
@requires("agent")
def logout():
    queries.audit(get_db(), actor(), "logout")
    session.clear()
    flash("Logged out.")
    return redirect(url_for("auth.login"))


def _start_session(user: dict) -> None:
    session.clear()  # a fresh session at every login: no fixation
    session["user_id"] = user["id"]


def _safe_next(target: str | None) -> str:
    """Only a path on this box: `next` must not send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


@cache
def _decoy_hash() -> str:
    return generate_password_hash("no such user", method=current_app.config["PASSWORD_HASH_METHOD"])
