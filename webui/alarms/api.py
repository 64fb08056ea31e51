"""The API's alarms (ACD15)."""

from __future__ import annotations

from flask import request

from webui import fields
from webui.access import requires
from webui.alarms.service import LIST_LIMIT, alarm_rows
from webui.api.blueprint import bp
from webui.alarms.schema import Alarm, AlarmQuery
from webui.api.openapi import doc
from webui.api.respond import items
from webui.db import get_db


@bp.get("/alarms")
@requires("supervisor")
@doc("Alarms, open ones first, then past ones, newest first, from the store", ok=list[Alarm], query=AlarmQuery)
def list_alarms():
    limit = fields.integer(request.args, "limit", required=False, minimum=1, maximum=500) or LIST_LIMIT
    return items(alarm_rows(get_db(), limit=limit))
