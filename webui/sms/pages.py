"""The SMS pages: the log (supervisors and admins: filter, pages, send one) and the SMS settings (admin)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, Conflict

from firmware.sms import settings as sms_settings
from firmware.sms import store as sms_store
from webui.access import actor, requires
from webui.db import get_db
from webui.fields import FieldError
from webui.i18n import not_saved, word
from webui.sms import labels, service  # noqa: F401  (labels: the codes' words)

bp = Blueprint("sms", __name__, template_folder="templates")
PAGE_SIZE = 50


def _log(*, form: Any = None, error: str | None = None, status: int = 200):
    conn = get_db()
    try:
        chosen = service.filters({k: v for k, v in request.args.items() if k in ("direction", "status", "number")
                                  and v})
    except FieldError as exc:
        chosen, error = {"limit": PAGE_SIZE, "offset": 0}, word(exc.description)
    chosen.pop("limit", None)
    chosen.pop("offset", None)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10**9 else 1
    total = sms_store.count_messages(conn, **chosen)
    rows = sms_store.list_messages(conn, **chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    kept = {k: v for k, v in request.args.items() if k in ("direction", "status", "number") and v}
    return render_template("sms/log.html", messages=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), page_url=lambda p: url_for("sms.messages", **kept,
                                                                                           page=p),
                           args=request.args, statuses=sms_store.STATUSES, form=form or {}, error=error,
                           enabled=service.current(conn).enabled), status


@bp.get("/sms")
@requires("supervisor")
def messages():
    return _log()


@bp.post("/sms")
@requires("supervisor")
def send():
    try:
        row = service.send(get_db(), actor(), request.form, purpose="web")
    except (BadRequest, Conflict) as exc:
        return _log(form=request.form, error=word(exc.description), status=exc.code)
    flash(_("SMS to %(number)s queued.", number=row["number"]))
    return redirect(url_for("sms.messages"))


# --- settings ---------------------------------------------------------------------------------

def _form_values(settings: dict) -> dict[str, Any]:
    modem, gateway = settings.get("modem") or {}, settings.get("gateway") or {}
    return {"transport": settings["transport"], "sender": settings["sender"],
            "modem.device": modem.get("device", ""), "modem.baudrate": str(modem.get("baudrate", 115200)),
            "modem.mode": modem.get("mode", "pdu"), "modem.delivery_reports": modem.get("delivery_reports", True),
            "gateway.url": gateway.get("url", ""), "callback_confirmation": settings["callback_confirmation"],
            "retries": str(settings["retries"])}


def _settings_page(values: dict[str, Any], *, errors: dict[str, str] | None = None, error: str | None = None,
                   status: int = 200):
    saved = service.get_settings(get_db())
    secrets_set = {name for name, value in (("modem.pin", (saved["modem"] or {}).get("pin")),
                                            ("gateway.token", (saved["gateway"] or {}).get("token"))) if value}
    return render_template("sms/settings.html", values=values, errors=errors or {}, error=error,
                           secrets_set=secrets_set, status_text=saved["status"],
                           transports=sms_settings.TRANSPORTS, modes=sms_settings.MODES,
                           baudrates=sms_settings.BAUDRATES), status


def _read_form(form) -> dict[str, Any]:
    """The form as the settings object: a part whose inputs are all empty is left out."""
    def number(text: str) -> Any:
        text = text.strip()
        return int(text) if text.isdigit() and len(text) < 10 else text

    settings: dict[str, Any] = {"transport": form.get("transport", "off"), "sender": form.get("sender", "").strip(),
                                "callback_confirmation": bool(form.get("callback_confirmation")),
                                "retries": number(form.get("retries", "")) if form.get("retries", "").strip() else 3}
    device = form.get("modem.device", "").strip()
    if device or form.get("modem.pin"):
        settings["modem"] = {"device": device, "baudrate": number(form.get("modem.baudrate", "115200")),
                             "mode": form.get("modem.mode", "pdu"),
                             "delivery_reports": bool(form.get("modem.delivery_reports")),
                             "pin": "" if form.get("modem.pin_clear") else (form.get("modem.pin") or None)}
    url = form.get("gateway.url", "").strip()
    if url or form.get("gateway.token"):
        settings["gateway"] = {"url": url, "token": "" if form.get("gateway.token_clear")
                               else (form.get("gateway.token") or None)}
    for part in ("modem", "gateway"):
        settings.setdefault(part, None)
    return settings


@bp.get("/sms/settings")
@requires("admin")
def settings():
    return _settings_page(_form_values(service.get_settings(get_db())))


@bp.post("/sms/settings")
@requires("admin")
def save_settings():
    values = {**{k: v for k, v in request.form.items() if not k.endswith(("pin", "token", "_clear", "csrf_token"))},
              "modem.delivery_reports": bool(request.form.get("modem.delivery_reports")),
              "callback_confirmation": bool(request.form.get("callback_confirmation"))}
    try:
        service.update_settings(get_db(), actor(), _read_form(request.form))
    except FieldError as exc:
        name = exc.field if exc.field in values or exc.field in ("modem.pin", "gateway.token") else ""
        message = exc.message
        return _settings_page(values, errors={name: message} if name else {},
                              error=not_saved(name or exc.field, message), status=400)
    flash(_("SMS settings saved."))
    return redirect(url_for("sms.settings"))
