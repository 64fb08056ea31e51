"""What the configuration pages share: a list page's "show deactivated" switch, and a form's change
run with the list shown again on a mistake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from firmware.acd.settings import SettingsError
from webui.fields import FieldError
from webui.i18n import word


def show_inactive() -> bool:
    return request.args.get("inactive") == "1"


def submit(page: Callable[..., Any], change: Callable[[], Any], done: str):
    """Runs a change from a form: back to the list on success, the form with its values on a mistake.
    A domain's list is its blueprint's view of the same name (agents.agents, queues.queues ...)."""
    try:
        change()
    except (BadRequest, NotFound, Conflict) as exc:
        return page(form=request.form, error=word(exc.description), status=exc.code)
    flash(done)
    return redirect(url_for(f"{request.blueprint}.{request.blueprint}"))


def settings_error(exc: SettingsError | FieldError) -> tuple[str, str]:
    """The parser's field name and message; the API's FieldError carries them as "settings.<field>: <message>"."""
    return exc.field.removeprefix("settings."), exc.message
