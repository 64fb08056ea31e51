"""The box's web UI and REST API: a Flask app factory that gunicorn starts as `webui:create_app()`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for

from firmware import paths
from firmware.store import open_store
from webui.csrf import csrf


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    from webui.fields import IdConverter

    app.url_map.converters["id"] = IdConverter      # every row id in a route: <id:name>
    app.config.from_mapping(
        DATA_DIR=str(paths.data_dir()),
        DATABASE=str(paths.database_path()),
        ENGINE_SOCKET=str(paths.engine_socket_path()),
        SESSION_COOKIE_NAME="callbox_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A CSRF token lives as long as the session: the default hour breaks a live view left open.
        WTF_CSRF_TIME_LIMIT=None,
        PASSWORD_HASH_METHOD="scrypt",
        # Failed logins per source address: 5 free, then 1 s, 2 s, 4 s ... at most 15 min between
        # tries; an address that stops failing for an hour starts over.
        LOGIN_FREE_FAILURES=5,
        LOGIN_FIRST_DELAY=1.0,
        LOGIN_MAX_DELAY=900.0,
        LOGIN_FORGET_SECONDS=3600.0,
        LIVE_IDLE_SECONDS=15,
        CALLS_PAGE_SIZE=50,
        # No form or JSON body of the box comes near this; a larger one is refused (413) unread.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # An update bundle (webui/update): streamed to /data, refused (413) past this size.
        UPDATE_MAX_BUNDLE_BYTES=2 * 1024**3,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        from webui import secret

        app.config["SECRET_KEY"] = secret.load_or_create(Path(app.config["DATA_DIR"]) / "secret_key")

    _migrate(app.config["DATABASE"])

    from webui import access, db, errors, format, headers, i18n
    from webui.access import requires
    from webui.agents import pages as agents
    from webui.alarms import pages as alarms
    from webui.api.registry import bp as api_bp
    from webui.auth import pages as auth
    from webui.backup import pages as backup
    from webui.callbacks import pages as callbacks
    from webui.calls import pages as calls
    from webui.live import pages as live
    from webui.queues import pages as queues
    from webui.routes import pages as routes
    from webui.settings import pages as settings
    from webui.sms import pages as sms
    from webui.trunks import pages as trunks
    from webui.update import pages as update
    from webui.users import pages as users
    from webui.wizard import pages as wizard
    from webui.wallboard import pages as wallboard

    app.jinja_env.filters.update(local_time=format.local_time, duration=format.duration)
    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    access.init_app(app)
    for blueprint in (auth.bp, calls.bp, callbacks.bp, live.bp, alarms.bp, agents.bp, queues.bp, trunks.bp, routes.bp,
                      users.bp, settings.bp, wizard.bp, wallboard.bp, update.bp, backup.bp, sms.bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens only; a browser never sends one by itself

    @app.get("/")
    @requires("agent")
    def index():
        return redirect(url_for("live.board"))

    access.check_every_view(app)
    return app


def _migrate(database: str) -> None:
    """Brings the schema up to date once per worker. Workers and the engine start together; one
    that loses the race finds the winner's tables in its way and fails, so it tries once more."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = open_store(database)
    except RuntimeError:
        conn = open_store(database)
    conn.close()
