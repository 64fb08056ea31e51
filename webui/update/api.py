"""The API's updates: status, a bundle upload (the body is the bundle), the update address, check now."""

from __future__ import annotations

from flask import current_app, jsonify, request

from firmware.store import queries
from firmware.update import poll
from firmware.update.cli import status_report
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.api.respond import read_body
from webui.db import get_db
from webui.fields import FieldError, text
from webui.update import service
from webui.update.schema import UpdateSettings, UpdateStarted, UpdateStatus

BUNDLE = "application/octet-stream"


def status() -> dict:
    """Through the model: the state files may carry more than the API promises."""
    report = {**status_report(), "update_url": queries.get_setting(get_db(), poll.URL_SETTING, "") or ""}
    return UpdateStatus.model_validate(report).model_dump(mode="json")


@bp.get("/update")
@requires("admin")
@doc("The firmware: running version, both root slots, the last install or rollback, the update address", ok=UpdateStatus)
def get_update():
    return jsonify(status())


@bp.post("/update/bundle")
@requires("admin")
@doc("Install a signed update bundle (the body, as a file): checked now (400 with the reason when it is "
     "refused), then written to the other slot in the background; it is tried at the next restart",
     ok=UpdateStarted, status=202, upload=BUNDLE, errors=(409, 413), ok_description="Accepted: installing")
def upload_bundle():
    limit = current_app.config["UPDATE_MAX_BUNDLE_BYTES"]
    request.max_content_length = limit
    path = service.save_stream(iter(lambda: request.stream.read(service.CHUNK), b""), limit)
    version = service.start_install(get_db(), actor(), path)
    return jsonify(version=version), 202


@bp.put("/update/settings")
@requires("admin")
@doc("Set the update address (empty: none)", ok=UpdateStatus, body=UpdateSettings)
def put_update_settings():
    body = read_body()
    url = body.get("url")
    # present and a string, even when empty (that clears the address)
    if url is None:
        raise FieldError("url", "is required")
    if not isinstance(url, str):
        raise FieldError("url", "must be a string")
    service.set_update_url(get_db(), actor(), text(body, "url", required=False, max_length=500) or "")
    return jsonify(status())


@bp.post("/update/check")
@requires("admin")
@doc("Ask the update address now; a newer bundle is fetched and installed in the background",
     status=202, errors=(409,), ok_description="Accepted: checking")
def check_update():
    service.check_now(get_db(), actor())
    return "", 202
