"""Where alarm notices go: the settings object (key `alarm_notifications`) checked field by field.

    {"email": {"to": ["ops@example.com"], "from": "callbox@example.com", "host": "smtp.example.com",
               "port": 587, "security": "starttls", "username": "callbox", "password": "..."},
     "sms": {"to": ["+46701234567"], "url": "https://sms.example.com/send", "token": "..."}}

Either channel may be left out. An `sms` without `url` hands its notices to the box's SMS service
(firmware/sms: the GSM modem or gateway of the setting `sms`), which logs, sends and retries them. `"language": "sv"` (en, sv, de, zh; default en) is the notices'. The SMS gateway gets a POST of {"to": number, "text": notice} as
JSON, with `Authorization: Bearer <token>` when a token is set: the shape most HTTP gateways take.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from firmware.message import N_, coded
from firmware.notify.texts import LANGUAGES  # the notices' own catalogue decides what may be chosen

SETTING_KEY = "alarm_notifications"
SECRETS = ("password", "token")
SECURITIES = ("starttls", "tls", "none")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")


# What the checks say, by code: the English wording; the web words the codes for its reader.
MESSAGES = {
    "object": N_("must be an object"),
    "unknown": N_("is not a setting"),
    "required": N_("is required"),
    "text": N_("must be text"),
    "email-list": N_("must be a list of e-mail addresses"),
    "phone-list": N_("must be a list of phone numbers"),
    "email": N_("is not a valid e-mail address"),
    "phone": N_("is not a valid phone number"),
    "port": N_("must be a port number"),
    "one-of": N_("must be one of {choices}"),
    "url": N_("must be an http or https address"),
}


class NotificationSettingsError(ValueError):
    def __init__(self, field_name: str, code: str, **params: Any):
        self.message = coded(MESSAGES, code, **params)
        super().__init__(f"{field_name}: {self.message}")
        self.field = field_name


@dataclass(frozen=True)
class EmailChannel:
    to: tuple[str, ...]
    sender: str
    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class SmsChannel:
    to: tuple[str, ...]
    url: str                       # "": the box's SMS service sends them
    token: str = field(default="", repr=False)
    sender: str = ""               # sent as "from" when set (the SMS service's gateway)


@dataclass(frozen=True)
class NotificationSettings:
    email: EmailChannel | None = None
    sms: SmsChannel | None = None
    language: str = "en"        # the notices' (firmware/notify/texts.py): they go to addresses, not users

    @property
    def channels(self) -> list[EmailChannel | SmsChannel]:
        return [c for c in (self.email, self.sms) if c is not None]


def _object(value: Any, name: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise NotificationSettingsError(name, "object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise NotificationSettingsError(f"{name}.{unknown[0]}" if name else unknown[0], "unknown")
    return value


def _text(value: Any, name: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise NotificationSettingsError(name, "required" if required else "text")
    return value.strip()


def _addresses(value: Any, name: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    """A list of `what` ("email" or "phone")."""
    if not isinstance(value, list) or not value:
        raise NotificationSettingsError(name, f"{what}-list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not pattern.match(item.strip()):
            raise NotificationSettingsError(f"{name}[{i}]", what)
    return tuple(item.strip() for item in value)


def _email(value: Any) -> EmailChannel:
    value = _object(value, "email", {"to", "from", "host", "port", "security", "username", "password"})
    port = value.get("port", 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise NotificationSettingsError("email.port", "port")
    security = value.get("security", "starttls")
    if security not in SECURITIES:
        raise NotificationSettingsError("email.security", "one-of", choices=", ".join(SECURITIES))
    sender = _text(value.get("from"), "email.from", required=True)
    if not _EMAIL.match(sender):
        raise NotificationSettingsError("email.from", "email")
    return EmailChannel(to=_addresses(value.get("to"), "email.to", _EMAIL, "email"), sender=sender,
                        host=_text(value.get("host"), "email.host", required=True), port=port, security=security,
                        username=_text(value.get("username"), "email.username"),
                        password=_text(value.get("password"), "email.password"))


def _sms(value: Any) -> SmsChannel:
    value = _object(value, "sms", {"to", "url", "token"})
    url = _text(value.get("url"), "sms.url")          # empty or left out: the box's SMS service
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise NotificationSettingsError("sms.url", "url")
    return SmsChannel(to=_addresses(value.get("to"), "sms.to", _PHONE, "phone"), url=url,
                      token=_text(value.get("token"), "sms.token"))


def parse_notification_settings(value: Any) -> NotificationSettings:
    value = _object(value if value is not None else {}, "", {"email", "sms", "language"})
    language = value.get("language")
    if language is None:        # left out or null: the default; anything else must be a language ({} is not)
        language = "en"
    if language not in LANGUAGES:
        raise NotificationSettingsError("language", "one-of", choices=", ".join(LANGUAGES))
    return NotificationSettings(email=_email(value["email"]) if value.get("email") else None,
                                sms=_sms(value["sms"]) if value.get("sms") else None, language=language)


def load(raw: str | None) -> NotificationSettings:
    """The stored setting (JSON text, or None: nobody to tell)."""
    return parse_notification_settings(json.loads(raw) if raw else {})


def masked(value: dict) -> dict:
    """The settings object with its secrets replaced, for showing and logging."""
    shown = json.loads(json.dumps(value))
    for channel in shown.values():
        if isinstance(channel, dict):
            for secret in SECRETS:
                if channel.get(secret):
                    channel[secret] = "********"
    return shown
