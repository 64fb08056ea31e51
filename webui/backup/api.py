"""The API's backup schedule (admin). Downloads and uploads of backups are the backup page's."""

from __future__ import annotations

from flask import jsonify

from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.api.respond import read_body
from webui.backup import service
from webui.backup.schema import BackupSchedule, BackupScheduleChange
from webui.db import get_db
from webui.format import with_iso_times


@bp.get("/backup/schedule")
@requires("admin")
@doc("The schedule of backup copies", ok=BackupSchedule)
def get_backup_schedule():
    return jsonify(with_iso_times(service.schedule(get_db(), service.data_dir())))


@bp.put("/backup/schedule")
@requires("admin")
@doc("Change the schedule of backup copies", ok=BackupSchedule, body=BackupScheduleChange)
def update_backup_schedule():
    return jsonify(with_iso_times(service.update_schedule(get_db(), actor(), read_body(), service.data_dir())))
