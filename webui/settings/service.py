"""The box's settings: pause reasons (ACD10), dispositions (ACD12), the prompt language and alarm
notifications (ACD15), read as the engine reads them and written with their checks; and a test notice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import Conflict

from firmware.acd.settings import (DEFAULT_DISPOSITIONS, DEFAULT_PAUSE_REASONS, SettingsError, parse_dispositions,
                                   parse_pause_reasons, parse_stored)
from firmware.prompts.catalogue import LANGUAGES
from firmware.notify import channels as notify_channels
from firmware.notify import config as notify_config
from firmware.sms import store as sms_store
from firmware.store import queries
from firmware.message import Message
from webui import fields, references
from webui.fields import FieldError
from webui.service import Data, Row, change, reload_engine

PAUSE_REASONS_KEY = "pause_reasons"
DISPOSITIONS_KEY = "dispositions"


def pause_reasons(conn) -> list[dict]:
    """The reasons as stored (or the defaults while none are), as the engine reads them."""
    raw = queries.get_setting(conn, PAUSE_REASONS_KEY)
    try:
        if raw:
            return json.loads(raw)
    except ValueError:
        pass
    return [dict(reason) for reason in DEFAULT_PAUSE_REASONS]


def pause_reason_codes(conn) -> tuple[str, ...]:
    """The codes an agent may pause for, "no-answer" included (the parser always adds it); the
    defaults' when the stored list is refused, as in the engine."""
    reasons, _ = parse_stored(queries.get_setting(conn, PAUSE_REASONS_KEY), parse_pause_reasons,
                              DEFAULT_PAUSE_REASONS)
    return tuple(reason.code for reason in reasons)


def dispositions(conn) -> list[dict]:
    """What a call may be classified as ({code, label}, in order): as stored, or the defaults."""
    return parse_stored(queries.get_setting(conn, DISPOSITIONS_KEY), parse_dispositions, DEFAULT_DISPOSITIONS)[0]



# --- settings ---------------------------------------------------------------------------------

PROMPT_LANGUAGE_KEY = "prompt_language"
SETTING_KEYS = (PROMPT_LANGUAGE_KEY, PAUSE_REASONS_KEY, DISPOSITIONS_KEY, notify_config.SETTING_KEY)
MASK = "********"       # what masked() shows for a secret; given back, it keeps the stored one


def alarm_notifications(conn) -> dict:
    """The stored alarm notification settings, secrets included: never show them as they are."""
    raw = queries.get_setting(conn, notify_config.SETTING_KEY)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def get_settings(conn) -> Row:
    return {PROMPT_LANGUAGE_KEY: queries.get_setting(conn, PROMPT_LANGUAGE_KEY, "en"),
            PAUSE_REASONS_KEY: pause_reasons(conn), DISPOSITIONS_KEY: dispositions(conn),
            notify_config.SETTING_KEY: notify_config.masked(alarm_notifications(conn))}


def _checked_pause_reasons(conn, value: Any) -> list:
    """The new list, which must still hold every reason a queue pauses its agents for."""
    try:
        codes = {reason.code for reason in parse_pause_reasons(value)}
    except SettingsError as exc:      # its field is already the body's: pause_reasons[2].code
        raise FieldError(exc.field, exc.message) from exc
    used = references.named(conn, "pause_reason")
    dropped = sorted(set(used) - codes)
    if dropped:
        raise FieldError(PAUSE_REASONS_KEY,
                         "{code} is used by {uses}; keep it or change those rules first", code=dropped[0],
                         uses=", ".join(used[dropped[0]]))
    return value


def _with_stored_secrets(conn, value: dict) -> dict:
    """The new settings, each secret given as the mask or left out replaced by the stored one (so a
    page or client never needs to know it); an empty channel is off and left out."""
    stored = alarm_notifications(conn)
    merged = {}
    for name, channel in value.items():
        if name == "language":            # the notices' language (firmware/notify/texts.py), not a channel
            merged[name] = channel
            continue
        if channel is None or channel == {}:
            continue
        if not isinstance(channel, dict):
            raise FieldError(f"{notify_config.SETTING_KEY}.{name}", "must be an object ({} or null: off)")
        channel = dict(channel)
        kept = stored.get(name) if isinstance(stored.get(name), dict) else {}
        for secret in notify_config.SECRETS:
            if channel.get(secret, MASK) == MASK:
                channel.pop(secret, None)
                if kept.get(secret):
                    channel[secret] = kept[secret]
        merged[name] = channel
    return merged


def _checked_notifications(conn, value: Any) -> dict:
    key = notify_config.SETTING_KEY
    if not isinstance(value, dict):
        raise FieldError(key, "must be an object with an email and/or sms channel")
    merged = _with_stored_secrets(conn, value)
    try:
        notify_config.parse_notification_settings(merged)
    except notify_config.NotificationSettingsError as exc:
        # The parser's messages name the field, never its value: safe with a secret in it.
        field = f"{key}.{exc.field}" if exc.field else key
        raise FieldError(field, exc.message) from exc
    return merged


def update_settings(conn, actor: str, data: Data) -> Row:
    """Changes the settings given (others stay); unknown keys are refused rather than ignored. The
    audit entry shows alarm notifications masked."""
    unknown = sorted(set(data) - set(SETTING_KEYS) - {"csrf_token"})
    if unknown:
        raise FieldError(unknown[0], "is not a setting")
    values: dict[str, tuple[str, str]] = {}       # key: (stored, as the audit log shows it)
    if PROMPT_LANGUAGE_KEY in data:
        language = fields.choice(data, PROMPT_LANGUAGE_KEY, LANGUAGES)
        values[PROMPT_LANGUAGE_KEY] = (language, language)
    if PAUSE_REASONS_KEY in data:
        reasons = json.dumps(_checked_pause_reasons(conn, data[PAUSE_REASONS_KEY]))
        values[PAUSE_REASONS_KEY] = (reasons, reasons)
    if DISPOSITIONS_KEY in data:
        try:
            checked = json.dumps(parse_dispositions(data[DISPOSITIONS_KEY]))
        except SettingsError as exc:      # its field is already the body's: dispositions[1].code
            raise FieldError(exc.field, exc.message) from exc
        values[DISPOSITIONS_KEY] = (checked, checked)
    if notify_config.SETTING_KEY in data:
        notifications = _checked_notifications(conn, data[notify_config.SETTING_KEY])
        values[notify_config.SETTING_KEY] = (json.dumps(notifications),
                                             json.dumps(notify_config.masked(notifications)))
    with change(conn, {}):
        for key, (stored, shown) in values.items():
            queries.set_setting(conn, key, stored)
            queries.audit(conn, actor, "settings.update", f"{key}={shown}")
    reload_engine()
    return get_settings(conn)


# --- a test notice --------------------------------------------------------------------------------

TEST_SUBJECT = "Callbox test notice"
TEST_TEXT = "Callbox test notice: alarm notices reach you here."


def _delivered(send: Callable[[], None]) -> str | None:
    """None when sent, else why not (DeliveryError's text names no password or token)."""
    try:
        send()
    except notify_channels.DeliveryError as exc:
        return str(exc)
    return None


def send_test_notice(conn, actor: str) -> list[tuple[str, str | None]]:
    """A test text over every channel of the saved settings, right away: (channel, error or None)."""
    try:
        settings = notify_config.load(queries.get_setting(conn, notify_config.SETTING_KEY))
    except (notify_config.NotificationSettingsError, ValueError) as exc:
        raise Conflict(Message("the saved alarm notifications are not valid ({problem}): save them again",
                               problem=str(exc))) from None
    results = []
    if settings.email is not None:
        email = settings.email
        results.append((f"e-mail to {', '.join(email.to)}",
                        _delivered(lambda: notify_channels.send_email(email, TEST_SUBJECT, TEST_TEXT))))
    if settings.sms is not None:
        sms = settings.sms
        if sms.url:
            results.append((f"SMS to {', '.join(sms.to)}",
                            _delivered(lambda: notify_channels.send_sms(sms, TEST_TEXT))))
        else:       # the SMS service sends it (firmware/sms); queued is as far as the web can see
            for number in sms.to:
                sms_store.queue_message(conn, number, TEST_TEXT, purpose="alarm", author=actor)
            results.append((f"SMS to {', '.join(sms.to)}", None))
    if not results:
        raise Conflict(Message("no channel is set up: save an e-mail or SMS channel first"))
    queries.audit(conn, actor, "notifications.test",
                  "; ".join(f"{channel}: {error or 'sent'}" for channel, error in results))
    return results
