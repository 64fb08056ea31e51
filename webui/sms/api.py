"""The API's SMS: the log (supervisor), sending one (supervisor: the operator switchboard to come),
and the SMS settings (admin)."""

from __future__ import annotations

from flask import jsonify, request

from firmware.sms import store as sms_store
from webui.access import actor, requires
from webui.api.blueprint import bp
from webui.api.openapi import doc
from webui.api.respond import created, items, read_body
from webui.db import get_db
from webui.format import with_iso_times
from webui.sms import service
from webui.sms.schema import Sms, SmsFilters, SmsSend, SmsSettings, SmsSettingsState


@bp.get("/sms")
@requires("supervisor")
@doc("The SMS log, newest first: messages out and in", ok=list[Sms], query=SmsFilters)
def list_sms():
    return items(sms_store.list_messages(get_db(), **service.filters(request.args)))


@bp.post("/sms")
@requires("supervisor")
@doc("Send an SMS: queued for the modem or gateway, then sent, retried and reported in the log",
     ok=Sms, status=201, body=SmsSend, errors=(409,), ok_description="Queued")
def send_sms():
    return created(service.send(get_db(), actor(), read_body(), purpose="api"))


@bp.get("/sms/<id:sms_id>")
@requires("supervisor")
@doc("One SMS of the log", ok=Sms)
def get_sms(sms_id: int):
    return jsonify(with_iso_times(service.require_message(get_db(), sms_id)))


@bp.get("/sms/settings")
@requires("admin")
@doc("How the box sends SMS, and what the SMS service last found", ok=SmsSettingsState)
def get_sms_settings():
    return jsonify(service.get_settings(get_db()))


@bp.put("/sms/settings")
@requires("admin")
@doc("Change how the box sends SMS (only the fields given)", ok=SmsSettingsState, body=SmsSettings)
def update_sms_settings():
    return jsonify(service.update_settings(get_db(), actor(), read_body()))
