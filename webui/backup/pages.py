"""The admin's backup page: download a backup, upload one to restore (checked, then confirmed), and
the schedule of copies to a folder or USB stick."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms import ValidationError

from firmware.backup.errors import BackupError
from firmware.backup.schedule import EVERY, MAX_KEEP, allowed_roots
from webui.csrf import csrf
from webui.access import actor, requires
from webui.backup import service
from webui.db import get_db
from webui.i18n import word

bp = Blueprint("backup", __name__, template_folder="templates")


def _page(*, form: Any = None, error: str | None = None, status: int = 200, staged=None):
    data = service.data_dir()
    return render_template("backup/backup.html", form=form or {}, error=error,
                           staged=staged or service.staged(data), schedule=service.schedule(get_db(), data),
                           every=EVERY, max_keep=MAX_KEEP, roots=[str(root) for root in allowed_roots(data)]), status


@bp.get("/backup")
@requires("admin")
def backup():
    return _page()


@bp.post("/backup/download")
@requires("admin")
def download():
    try:
        recordings, passphrase = service.download_options(get_db(), actor(), request.form)
    except BadRequest as exc:
        return _page(error=word(exc.description), status=400)
    name = service.download_name(bool(passphrase))
    body = stream_with_context(service.stream_backup(service.data_dir(), recordings, passphrase))
    return Response(body, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/backup/restore")
@csrf.exempt        # the app-wide check would read the whole body as a form with a 1 MiB cap: checked below
@requires("admin")
def upload():
    """The upload is read only after the login and role were checked (above); its CSRF token is
    checked before the file is looked at, and the file is removed whatever happens."""
    data = service.data_dir()
    form, path = service.receive_upload(request.environ, data)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(form.get("csrf_token"))
        except (ValidationError, CSRFError):
            path.unlink(missing_ok=True)
            raise BadRequest("The CSRF token is missing or invalid.") from None
    try:
        manifest = service.stage_upload(get_db(), actor(), path, form, data)
    except BadRequest as exc:
        return _page(error=word(exc.description), status=400)
    return _page(staged=manifest)


@bp.post("/backup/restore/confirm")
@requires("admin")
def confirm():
    try:
        service.confirm_restore(get_db(), actor(), service.data_dir())
    except BackupError as exc:
        return _page(error=exc.args[0], status=409)
    return render_template("backup/restoring.html")


@bp.post("/backup/restore/cancel")
@requires("admin")
def cancel():
    service.cancel_restore(get_db(), actor(), service.data_dir())
    flash(_("The uploaded backup was discarded; nothing changed."))
    return redirect(url_for("backup.backup"))


def schedule_change(form) -> dict:
    """The schedule form as the API's change: a checkbox is there or not, an empty passphrase keeps
    the stored one unless "clear" is ticked."""
    change: dict[str, Any] = {"folder": form.get("folder", "").strip(), "every": form.get("every", "off"),
                              "recordings": form.get("recordings") == "on"}
    keep = form.get("keep", "").strip()
    change["keep"] = int(keep) if keep.isascii() and keep.isdigit() and len(keep) < 6 else keep
    if form.get("passphrase_clear") == "on":
        change["passphrase"] = ""
    elif form.get("passphrase"):
        change["passphrase"] = form["passphrase"]
    return change


@bp.post("/backup/schedule")
@requires("admin")
def save_schedule():
    try:
        service.update_schedule(get_db(), actor(), schedule_change(request.form), service.data_dir())
    except BadRequest as exc:
        return _page(form=request.form, error=word(exc.description), status=400)
    flash(_("Backup schedule saved."))
    return redirect(url_for("backup.backup"))
