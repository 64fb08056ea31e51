"""The language switcher of the page header: a user's choice is kept on their row, so every browser
they log in from follows it. Before a login the pages follow the browser's Accept-Language."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from firmware.store import queries
from webui.access import current_identity, requires
from webui.db import get_db
from webui.i18n.languages import known

bp = Blueprint("i18n", __name__)


@bp.post("/language")
@requires("agent")
def choose():
    """`language` en, sv, de or zh; empty (or anything else): as the browser asks. Back to `next`."""
    identity = current_identity()
    assert identity is not None and identity.user_id is not None       # pages have users, not tokens
    queries.set_user_language(get_db(), identity.user_id, known(request.form.get("language")), identity.name)
    return redirect(_same_box(request.form.get("next")))


def _same_box(target: str | None) -> str:
    """Only a path on this box: `next` must not send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")
