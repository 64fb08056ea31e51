"""The backup schedule as the API reads and answers it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from firmware.backup.schedule import EVERY, MAX_KEEP
from webui.api.schema import ONE_LINE, Resource, StrictBody, Time

Every = Literal[EVERY]  # type: ignore[valid-type]


class BackupSchedule(Resource):
    """Scheduled copies of the backup and how the last one went (written by the notifier's copy)."""
    folder: str = Field(description="where copies go: under /media, /mnt or the box's backups folder")
    every: Every
    keep: int = Field(ge=1, le=MAX_KEEP, description="how many copies stay in the folder")
    recordings: bool
    encrypted: bool = Field(description="whether a passphrase is set (it is never shown)")
    last_attempt_at: Time | None
    last_success_at: Time | None
    last_file: str | None
    last_error: str | None


class BackupScheduleChange(StrictBody):
    """Fields left out stay as they are."""
    folder: str | None = Field(default=None, max_length=255, pattern="^(/[^\\x00-\\x1f\\x7f]*)?$",
                               description="an absolute folder; \"\" only while every is off")
    every: Every | None = None
    keep: int | None = Field(default=None, ge=1, le=MAX_KEEP)
    recordings: bool | None = None
    passphrase: str | None = Field(default=None, max_length=200, pattern=ONE_LINE,
                                   description="encrypts the copies; left out or null keeps the saved one, \"\" clears it",
                                   json_schema_extra={"writeOnly": True})
