"""The admin's update page: the firmware in both slots, the last result, a bundle upload, the
update address with "check now", and the restart into an installed version."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import BadRequest, Conflict
from werkzeug.formparser import parse_form_data
from wtforms.validators import ValidationError

from firmware.store import queries
from firmware.update import poll, rauc
from firmware.update.cli import status_report
from webui.csrf import csrf
from webui.access import actor, requires
from webui.db import get_db
from webui.i18n import word
from webui.update import service

bp = Blueprint("update", __name__, template_folder="templates")


def _page(*, error: str | None = None, status: int = 200):
    report = status_report()
    if report["error"] and not rauc.system_conf().exists():
        # A development machine (make run): RAUC's own words about its missing file would be all English.
        report["error"] = _("this machine has no update slots (RAUC is not set up): updates work on the appliance")
    url = queries.get_setting(get_db(), poll.URL_SETTING, "") or ""
    return render_template("update/page.html", report=report, update_url=url, error=error,
                           limit_mib=current_app.config["UPDATE_MAX_BUNDLE_BYTES"] // 2**20), status


@bp.get("/update")
@requires("admin")
def update():
    return _page()


# The upload is read by its own parser, file parts streamed to /data: the app's form parsing (and
# CSRFProtect's, which reads the form before the view) would hold them in memory or in /tmp, which
# is memory on the box, and the app's 1 MiB body limit is for forms. The token is checked here.
@csrf.exempt
@bp.post("/update/upload")
@requires("admin")
def upload():
    limit = current_app.config["UPDATE_MAX_BUNDLE_BYTES"]
    received: list = []

    def to_data(total_content_length, content_type, filename, content_length=None):
        out = service.new_upload_file()
        received.append(out.name)
        return out

    try:
        # max_form_memory_size bounds the text fields and the parser's read buffer, not the file part
        _stream, form, files = parse_form_data(request.environ, stream_factory=to_data, max_form_memory_size=1 << 20,
                                         max_content_length=limit, silent=False)
    except BaseException:
        service.discard(received)
        raise
    bundle = files.get("bundle")
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(form.get("csrf_token"))
            except ValidationError as exc:
                raise CSRFError(exc.args[0]) from exc
        if bundle is None or not bundle.filename:
            raise BadRequest(_("Choose a bundle file (.raucb) to upload."))
        bundle.stream.close()
        path = service.keep_upload(bundle.stream.name)
    except BaseException:
        service.discard(received)
        raise
    service.discard(name for name in received if name != str(path))
    try:
        version = service.start_install(get_db(), actor(), path)
    except (BadRequest, Conflict) as exc:
        return _page(error=word(exc.description), status=exc.code or 400)
    flash(_("Version %(version)s is being installed.", version=version))
    return redirect(url_for("update.update"))


@bp.post("/update/settings")
@requires("admin")
def settings():
    try:
        service.set_update_url(get_db(), actor(), request.form.get("url", ""))
    except BadRequest as exc:
        return _page(error=word(exc.description), status=400)
    flash(_("Update address saved."))
    return redirect(url_for("update.update"))


@bp.post("/update/check")
@requires("admin")
def check():
    try:
        service.check_now(get_db(), actor())
    except Conflict as exc:
        return _page(error=word(exc.description), status=409)
    flash(_("Checking the update address."))
    return redirect(url_for("update.update"))


@bp.post("/update/restart")
@requires("admin")
def restart():
    service.restart(get_db(), actor())
    flash(_("The box restarts into the new version."))
    return redirect(url_for("update.update"))
