"""First-run setup of the admin (within the claim window: webui/auth/claim.py), login and logout for the pages."""

from __future__ import annotations

import math
import time
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from firmware import claim as claim_records
from firmware.store import queries
from firmware.message import N_
from webui import fields
from webui.auth import claim
from webui.access import public, requires, actor
from webui.db import get_db
from webui.i18n import word
from webui.users import service as users
from webui.wizard import service as wizard

bp = Blueprint("auth", __name__, template_folder="templates")


def _clock() -> claim.Clock:
    return current_app.config.get("CLAIM_CLOCK") or claim_records.now


@bp.record_once
def _stamp_first_start(state) -> None:
    """The web's first start on a data directory opens the claim window (on the image: the first boot)."""
    config = state.app.config
    claim_records.stamp_first_start(Path(config["DATA_DIR"]), (config.get("CLAIM_CLOCK") or claim_records.now)())


def _claim_window() -> claim.Window:
    return claim.window(Path(current_app.config["DATA_DIR"]), request.remote_addr, _clock()())


@bp.route("/setup", methods=("GET", "POST"))
@public
def setup():
    conn = get_db()
    if queries.count_users(conn):
        flash(_("The box is set up already; log in."), "error")
        return redirect(url_for("auth.login"))
    window = _claim_window()
    if not window.open:         # not audited: a stranger's flood of tries must not fill the disk
        return render_template("auth/claim_closed.html", window=window, address=request.remote_addr), 403
    if request.method == "GET":
        return render_template("auth/setup.html", form={}, window=window)
    try:
        username = fields.text(request.form, "username", **users.USERNAME)
        password = users.new_password(request.form)
    except HTTPException as exc:
        return render_template("auth/setup.html", form=request.form, window=window, error=word(exc.description)), 400
    # Two browsers may submit at once: create_first_admin lets only the first one in.
    user = queries.create_first_admin(conn, username, users.hash_password(password))
    if user is None:
        flash(_("Somebody else set the box up a moment ago; log in."), "error")
        return redirect(url_for("auth.login"))
    queries.audit(conn, username, "setup", "first admin created")
    wizard.start(conn, username)
    _start_session(user)
    flash(_("Welcome, %(name)s. The box is yours.", name=username))
    return redirect(url_for("wizard.resume"))


@bp.route("/login", methods=("GET", "POST"))
@public
def login():
    """Failures are counted per source address, never per account: nobody can lock a user out from
    elsewhere, and every refusal reads the same whether the name exists or not. A known name and an
    unknown one also cost the same time (the decoy hash)."""
    if request.method == "GET":
        return render_template("auth/login.html", form={})
    conn = get_db()
    config = current_app.config
    address = request.remote_addr or "-"
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    now = time.time()
    wait = queries.login_wait(conn, address, now)
    if wait > 0:        # not audited: a flood of tries while waiting must not fill the disk
        return _refused(_(THROTTLED, seconds=math.ceil(wait)), 429, wait)
    user = queries.get_user_by_name(conn, username) if username else None
    matches = check_password_hash(user["password_hash"] if user else _decoy_hash(), password)
    if user is not None and matches and user["deactivated_at"] is None:
        queries.audit(conn, username, "login", f"address={address}")
        _start_session(user)
        return redirect(_safe_next(request.args.get("next")))
    wait = queries.record_login_failure(conn, address, now, free=config["LOGIN_FREE_FAILURES"],
                                        first_delay=config["LOGIN_FIRST_DELAY"], max_delay=config["LOGIN_MAX_DELAY"],
                                        forget_after=config["LOGIN_FORGET_SECONDS"])
    queries.audit(conn, _as_typed(username), "login.failed", f"address={address} wait={math.ceil(wait)}")
    if wait > 0:
        return _refused(f"{_('Wrong username or password.')} {_(THROTTLED, seconds=math.ceil(wait))}", 429, wait)
    return _refused(_("Wrong username or password."), 401)


def _as_typed(username: str) -> str:
    """What a stranger typed as a user name, fit for the audit log: short, no control characters."""
    return "".join(c for c in username[:64] if c.isprintable()) or "-"


THROTTLED = N_("Too many failed logins from your address: wait %(seconds)s s before the next try.")


def _refused(error: str, status: int, wait: float | None = None):
    response = make_response(render_template("auth/login.html", form=request.form, error=error), status)
    if wait is not None:
        response.headers["Retry-After"] = str(math.ceil(wait))
    return response


@bp.post("/logout")
@requires("agent")
def logout():
    queries.audit(get_db(), actor(), "logout")
    session.clear()
    flash(_("Logged out."))
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
