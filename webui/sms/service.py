"""The SMS log's writes: a message queued for the SMS service (firmware/sms/service.py sends it),
and the SMS settings, read with their secrets masked and changed with their checks."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.exceptions import Conflict, NotFound

from firmware.message import Message
from firmware.sms import settings as sms_settings
from firmware.sms import store as sms_store
from firmware.sms.service import STATUS_KEY
from firmware.store import queries
from webui.fields import FieldError
from webui.service import Data, Row, change
from webui.sms.schema import SmsFilters, SmsSend, SmsSettings
from webui.validation import read

MASK = "********"


def require_message(conn, message_id: int) -> Row:
    message = sms_store.get_message(conn, message_id)
    if message is None:
        raise NotFound(Message("no SMS {id}", id=message_id))
    return message


def filters(data: Data) -> dict[str, Any]:
    """The list's filters and page from a query string (the API's and the page's)."""
    return read(SmsFilters, data).model_dump()


def send(conn, actor: str, data: Data, purpose: str) -> Row:
    """Queues a message; 409 while SMS is off."""
    message = read(SmsSend, data)
    if not current(conn).enabled:
        raise Conflict(Message("SMS is off: choose a modem or a gateway in the SMS settings"))
    with change(conn, {}):
        try:
            row = sms_store.queue_message(conn, message.to, message.text, purpose=purpose, author=actor)
        except ValueError as exc:
            raise FieldError("text", str(exc)) from None
        queries.audit(conn, actor, "sms.send", f"id={row['id']} to={message.to} parts={row['parts']}")
    return row


# --- settings ---------------------------------------------------------------------------------

def stored(conn) -> dict:
    """The stored settings object, secrets included: never show it as it is."""
    raw = queries.get_setting(conn, sms_settings.SETTING_KEY)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def current(conn) -> sms_settings.SmsSettings:
    try:
        return sms_settings.parse_sms_settings(stored(conn))
    except sms_settings.SmsSettingsError:
        return sms_settings.SmsSettings()


def _masked(secret: str) -> str | None:
    return MASK if secret else None


def get_settings(conn) -> Row:
    """Every field, secrets masked, and the service's last word."""
    settings = current(conn)
    modem = settings.modem
    gateway = settings.gateway
    return {
        "transport": settings.transport, "sender": settings.sender,
        "modem": None if modem is None else {"device": modem.device, "baudrate": modem.baudrate, "mode": modem.mode,
                                             "pin": _masked(modem.pin), "delivery_reports": modem.delivery_reports},
        "gateway": None if gateway is None else {"url": gateway.url, "token": _masked(gateway.token)},
        "callback_confirmation": settings.callback_confirmation, "retries": settings.retries,
        "status": queries.get_setting(conn, STATUS_KEY) or "",
    }


def _keep_secrets(new: dict, old: dict) -> dict:
    """A secret given back as the mask, or left out, keeps the saved one; "" clears it."""
    for part, secret in (("modem", "pin"), ("gateway", "token")):
        channel = new.get(part)
        if not isinstance(channel, dict):
            continue
        saved = old.get(part) if isinstance(old.get(part), dict) else {}
        if channel.get(secret) in (None, MASK):
            if saved.get(secret):
                channel[secret] = saved[secret]
            else:
                channel.pop(secret, None)
    return new


def update_settings(conn, actor: str, data: Data) -> Row:
    """Replaces the fields given (a part given as null or {} is removed); checked as the service reads them."""
    read(SmsSettings, data)         # the types and shapes the description promises; the parser judges the rest
    old = stored(conn)
    new = {**old}
    for key, value in data.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = json.loads(json.dumps(value))
    new = _keep_secrets(new, old)
    try:
        sms_settings.parse_sms_settings(new)
    except sms_settings.SmsSettingsError as exc:
        raise FieldError(exc.field, exc.message) from None
    with change(conn, {}):
        queries.set_setting(conn, sms_settings.SETTING_KEY, json.dumps(new))
        queries.audit(conn, actor, "sms.settings", json.dumps(sms_settings.masked(new), sort_keys=True))
    return get_settings(conn)
