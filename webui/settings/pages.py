"""The box's settings pages (admin): pause reasons (ACD10), what a call may be classified as
(dispositions, ACD12) and where alarm notices go (ACD15), with a test notice. All are saved through
the API's own update (checks, audit entry, engine reload); a mistake shows the form again as typed,
with the message at its input, and saves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict

from firmware.notify.config import SECURITIES, SETTING_KEY
from firmware.message import N_
from webui.access import actor, requires
from webui.db import get_db
from webui.fields import FieldError
from webui.i18n import not_saved, word
from webui.settings import form as settings_form
from webui.settings import service

bp = Blueprint("settings", __name__, url_prefix="/settings", template_folder="templates")


def _field_and_message(exc: FieldError) -> tuple[str, str]:
    return exc.field, exc.message


# --- lists of codes: pause reasons (ACD10) and dispositions (ACD12) -----------------------------------


@dataclass(frozen=True)
class ListSetting:
    """A setting edited as rows of a form, one item a row (the form's inputs are `<key>[<row>].<field>`)."""
    key: str
    template: str
    saved: str                                          # the flash after a save
    endpoint: str
    to_rows: Callable[[list[dict]], list[dict]]         # the stored list -> rows, with empty ones to add more
    read_rows: Callable[[Any], list[dict]]              # the form -> rows as typed
    to_setting: Callable[[list[dict]], tuple[list[dict], list[int]]]   # rows -> the list, and each item's row


PAUSE_REASONS = ListSetting(service.PAUSE_REASONS_KEY, "settings/pause_reasons.html", N_("Pause reasons saved."),
                            "settings.pause_reasons", settings_form.reason_rows, settings_form.read_reason_rows,
                            settings_form.rows_to_reasons)
DISPOSITIONS = ListSetting(service.DISPOSITIONS_KEY, "settings/dispositions.html", N_("Dispositions saved."),
                           "settings.dispositions", settings_form.disposition_rows,
                           settings_form.read_disposition_rows, settings_form.rows_to_dispositions)


def _list_page(setting: ListSetting, rows: list[dict], *, errors: dict[str, str] | None = None,
               error: str | None = None, status: int = 200):
    return render_template(setting.template, rows=rows, errors=errors or {}, error=error), status


def _save_list(setting: ListSetting):
    rows = setting.read_rows(request.form)
    items, row_of = setting.to_setting(rows)
    try:
        service.update_settings(get_db(), actor(), {setting.key: items})
    except FieldError as exc:
        field, message = _field_and_message(exc)
        name = settings_form.row_error_input(setting.key, field, row_of)
        errors = {name: message} if name else {}
        return _list_page(setting, rows, errors=errors, error=not_saved(field, message), status=400)
    flash(_(setting.saved))
    return redirect(url_for(setting.endpoint))


@bp.get("/pause-reasons")
@requires("admin")
def pause_reasons():
    return _list_page(PAUSE_REASONS, PAUSE_REASONS.to_rows(service.pause_reasons(get_db())))


@bp.post("/pause-reasons")
@requires("admin")
def save_pause_reasons():
    return _save_list(PAUSE_REASONS)


@bp.get("/dispositions")
@requires("admin")
def dispositions():
    return _list_page(DISPOSITIONS, DISPOSITIONS.to_rows(service.dispositions(get_db())))


@bp.post("/dispositions")
@requires("admin")
def save_dispositions():
    return _save_list(DISPOSITIONS)


# --- alarm notifications --------------------------------------------------------------------------


def _notifications_page(values: dict[str, Any], *, errors: dict[str, str] | None = None,
                        error: str | None = None, status: int = 200):
    saved = service.alarm_notifications(get_db())
    return render_template("settings/notifications.html", values=values, errors=errors or {}, error=error,
                           securities=SECURITIES, secrets_set=settings_form.secrets_set(saved)), status


@bp.get("/notifications")
@requires("admin")
def notifications():
    return _notifications_page(settings_form.notifications_to_form(service.alarm_notifications(get_db())))


@bp.post("/notifications")
@requires("admin")
def save_notifications():
    values = settings_form.read_notifications_form(request.form)
    settings = settings_form.form_to_notifications(values)
    try:
        service.update_settings(get_db(), actor(), {SETTING_KEY: settings})
    except FieldError as exc:
        field, message = _field_and_message(exc)
        name, message = settings_form.notification_error_input(field.partition(".")[2], message)
        errors = {name: message} if name else {}
        return _notifications_page(values, errors=errors, error=not_saved(name or field, message), status=400)
    flash(_("Alarm notifications saved."))
    return redirect(url_for("settings.notifications"))


@bp.post("/notifications/test")
@requires("admin")
def test_notice():
    """Sends a test text over the saved channels now; says per channel whether it went out."""
    try:
        results = service.send_test_notice(get_db(), actor())
    except Conflict as exc:
        flash(_("No test notice: %(problem)s", problem=word(exc.description)), "error")
        return redirect(url_for("settings.notifications"))
    for channel, problem in results:
        if problem is None:
            flash(_("Test notice sent: %(channel)s.", channel=word(channel)))
        else:
            flash(_("Test notice not sent: %(problem)s", problem=problem), "error")
    return redirect(url_for("settings.notifications"))
