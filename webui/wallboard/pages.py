"""The wallboard (STAT1): the page for supervisors, the kiosk for a TV (a read-only token in its URL,
no login, nothing but the board, large type), their event streams, and the admin's kiosk tokens.

The browser renders the figures (static/wallboard.js) from the JSON the stream sends: each update
changes only the numbers, colours and rows that changed, and the waits tick between updates. The
figures are computed once per engine status for every open board of this process (webui/live/fanout.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _

from firmware.store import connect, wallboard_tokens
from webui.access import actor, public, requires
from webui.db import close_db, get_db
from webui.i18n.words import label
from webui.live.fanout import fanout
from webui.wallboard import service
from webui.wallboard.api import answer

bp = Blueprint("wallboard", __name__, template_folder="templates")

RECONNECT_MS = 2000          # a browser whose stream ended comes back this much later
TOKEN_CHECK_SECONDS = 5.0    # a revoked kiosk token stops its screen within this
STREAM_SECONDS = 3600.0


def _labels() -> dict[str, str]:
    """The words the browser needs for rows it draws: agents' states and pause reasons."""
    states = ("idle", "ringing", "busy", "wrap-up", "paused", "unavailable", "logged-out")
    return {**{f"state.{s}": str(label(s, "state")) for s in states},
            "engine_down": _("engine not running"), "nobody_waiting": _("No one waiting.")}


def _page(kiosk_token: str | None) -> str:
    stream = url_for("wallboard.kiosk_stream", token=kiosk_token) if kiosk_token else url_for("wallboard.stream")
    return render_template("wallboard/page.html", kiosk=kiosk_token is not None, stream=stream,
                           labels=json.dumps(_labels()))


@bp.get("/wallboard")
@requires("supervisor")
def page():
    return _page(None)


@bp.get("/wallboard/kiosk")
@public
def kiosk():
    """The TV's page: no login, the token in the URL; without a valid one, the login."""
    token = request.args.get("token", "")
    if wallboard_tokens.valid(get_db(), token) is None:
        return redirect(url_for("auth.login", next=url_for("wallboard.page")))
    return _page(token)


def _board_json(database: str) -> Callable[[dict | None, str | None], str]:
    def make(status: dict | None, problem: str | None) -> str:
        conn = connect(database)
        try:
            return json.dumps(answer(service.board(conn, database, status), status is not None), separators=(",", ":"))
        finally:
            conn.close()
    return make


def _stream(still_allowed: Callable[[], bool] | None = None) -> Response:
    idle = current_app.config["LIVE_IDLE_SECONDS"]
    fan = fanout(current_app.config["ENGINE_SOCKET"], idle)
    make = _board_json(current_app.config["DATABASE"])
    close_db()     # the stream may last all day and keeps no connection

    # A stream ends after a while and the browser opens the next one: a user deactivated or a role
    # changed since is refused then.
    lifetime = current_app.config.get("WALLBOARD_STREAM_SECONDS", STREAM_SECONDS)

    def events() -> Iterator[str]:
        seen, checked = fan.wait(0, 1.0), time.monotonic()      # the first status, if it comes at once
        ends = time.monotonic() + lifetime
        yield f"retry: {RECONNECT_MS}\nevent: wallboard\ndata: {fan.derived('wallboard', make)}\n\n"
        while time.monotonic() < ends:
            version = fan.wait(seen, min(idle if fan.problem is None else 1.0, max(0.0, ends - time.monotonic())))
            if still_allowed is not None and time.monotonic() - checked > TOKEN_CHECK_SECONDS:
                if not still_allowed():
                    yield "event: revoked\ndata: {}\n\n"
                    return
                checked = time.monotonic()
            if version == seen:
                yield ": keep-alive\n\n"
                continue
            seen = version
            yield f"event: wallboard\ndata: {fan.derived('wallboard', make)}\n\n"

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/wallboard/stream")
@requires("supervisor")
def stream():
    return _stream()


@bp.get("/wallboard/kiosk/stream")
@public
def kiosk_stream():
    token = request.args.get("token", "")
    if wallboard_tokens.valid(get_db(), token) is None:
        return redirect(url_for("auth.login", next=url_for("wallboard.page")))
    database = current_app.config["DATABASE"]

    def still_allowed() -> bool:
        conn = connect(database)
        try:
            return wallboard_tokens.valid(conn, token) is not None
        finally:
            conn.close()
    return _stream(still_allowed)


# --- the admin's kiosk tokens ---------------------------------------------------------------------

@bp.get("/wallboard/tokens")
@requires("admin")
def tokens():
    return render_template("wallboard/tokens.html", tokens=wallboard_tokens.listed(get_db()), created=None)


@bp.post("/wallboard/tokens")
@requires("admin")
def create_token():
    row = service.create_token(get_db(), actor(), request.form)
    created = url_for("wallboard.kiosk", token=row["token"], _external=True)
    return render_template("wallboard/tokens.html", tokens=wallboard_tokens.listed(get_db()), created=created)


@bp.post("/wallboard/tokens/<id:token_id>/revoke")
@requires("admin")
def revoke_token(token_id: int):
    service.revoke_token(get_db(), actor(), token_id)
    flash(_("Kiosk link revoked."))
    return redirect(url_for("wallboard.tokens"))
