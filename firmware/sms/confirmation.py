"""The SMS that confirms a booked callback to the caller (TEL11), queued by the engine where the
callback is registered (firmware.engine.callback_book) in the same turn's transaction; the SMS
service sends it. Only when SMS is on with `callback_confirmation`, and only to a number that can
take an SMS."""

from __future__ import annotations

import json
import logging

from firmware.sms import store, texts
from firmware.sms.settings import PHONE, SETTING_KEY, SmsSettingsError, load
from firmware.store import queries

log = logging.getLogger(__name__)


def queue_callback_confirmation(conn, call_id: int, number: str, queue_id: int | None,
                                wanted_from: float | None, wanted_until: float | None) -> int | None:
    """Queues the confirmation; returns the message's id, or None when none is to be sent."""
    try:
        settings = load(queries.get_setting(conn, SETTING_KEY))
    except (SmsSettingsError, ValueError) as exc:
        log.error("SMS settings refused (%s): no callback confirmation", exc)
        return None
    if not settings.enabled or not settings.callback_confirmation or not PHONE.fullmatch(number or ""):
        return None
    language = queries.get_setting(conn, "prompt_language", "en") or "en"
    text = texts.callback_confirmation(language, wanted_from, wanted_until, _queue_zone(conn, queue_id))
    message = store.queue_message(conn, number, text, purpose="callback", author="engine", call_id=call_id)
    log.info("callback confirmation for call %s queued as SMS %s", call_id, message["id"])
    return message["id"]


def _queue_zone(conn, queue_id: int | None) -> str | None:
    queue = queries.get_queue(conn, queue_id) if queue_id is not None else None
    settings = queue["settings"] if queue is not None else {}
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            settings = {}
    schedule = settings.get("schedule") if isinstance(settings, dict) else None
    return schedule.get("timezone") if isinstance(schedule, dict) else None
