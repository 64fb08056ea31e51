"""How the box sends SMS: the setting `sms`, checked field by field (firmware.notify.config's way).

    {"transport": "modem",               # off (default), modem or gateway
     "sender": "ACME",                   # the company's common number or name (1-11 letters, digits,
                                         # spaces): the gateway sends it; a modem sends as its SIM
     "modem": {"device": "/dev/ttyUSB2", "baudrate": 115200, "mode": "pdu", "pin": "1234",
               "delivery_reports": true},
     "gateway": {"url": "https://sms.example.com/send", "token": "..."},
     "callback_confirmation": true,      # text callers when a callback is booked
     "retries": 3}                       # attempts after the first before a message is failed
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from firmware.message import N_, coded
from firmware.notify.config import MESSAGES as NOTIFY_MESSAGES

SETTING_KEY = "sms"
TRANSPORTS = ("off", "modem", "gateway")
MODES = ("pdu", "text")
BAUDRATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
MAX_RETRIES = 10
SECRETS = ("pin", "token")
PHONE = re.compile(r"^\+?[0-9]{3,20}$")
# An alphanumeric originator is at most 11 characters (3GPP TS 23.040 9.1.2.5); letters, digits and
# spaces pass every gateway and network.
ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ]{0,10}$")
SENDER = re.compile(rf"{PHONE.pattern}|{ALPHANUMERIC_SENDER.pattern}")
DEVICE = re.compile(r"^/[A-Za-z0-9._/+-]{1,254}$")
PIN = re.compile(r"^[0-9]{4,8}$")

MESSAGES = {
    **NOTIFY_MESSAGES,
    "sender": N_("must be a phone number or 1-11 letters, digits and spaces"),
    "device": N_("must be a device path such as /dev/ttyUSB2"),
    "pin": N_("must be 4 to 8 digits"),
    "flag": N_("must be true or false"),
    "whole": N_("must be a whole number from {low} to {high}"),
}


class SmsSettingsError(ValueError):
    def __init__(self, field_name: str, code: str, **params: Any):
        self.message = coded(MESSAGES, code, **params)
        super().__init__(f"{field_name}: {self.message}")
        self.field = field_name


@dataclass(frozen=True)
class ModemSettings:
    device: str
    baudrate: int = 115200
    mode: str = "pdu"
    pin: str = field(default="", repr=False)
    delivery_reports: bool = True


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    token: str = field(default="", repr=False)


@dataclass(frozen=True)
class SmsSettings:
    transport: str = "off"
    sender: str = ""
    modem: ModemSettings | None = None
    gateway: GatewaySettings | None = None
    callback_confirmation: bool = False
    retries: int = 3

    @property
    def enabled(self) -> bool:
        return self.transport != "off"


def _object(value: Any, name: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise SmsSettingsError(name or "sms", "object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise SmsSettingsError(f"{name}.{unknown[0]}" if name else unknown[0], "unknown")
    return value


def _text(value: Any, name: str, pattern: re.Pattern | None = None, code: str = "text", *,
          required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise SmsSettingsError(name, "required")
        return ""
    if not isinstance(value, str):
        raise SmsSettingsError(name, "text")
    value = value.strip()
    if required and not value:
        raise SmsSettingsError(name, "required")
    if pattern is not None and value and not pattern.fullmatch(value):
        raise SmsSettingsError(name, code)
    return value


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SmsSettingsError(name, "flag")
    return value


def _choice(value: Any, name: str, choices: tuple, default: Any) -> Any:
    if value is None:
        return default
    if value not in choices or isinstance(value, bool):
        raise SmsSettingsError(name, "one-of", choices=", ".join(str(c) for c in choices))
    return value


def _modem(value: Any) -> ModemSettings:
    value = _object(value, "modem", {"device", "baudrate", "mode", "pin", "delivery_reports"})
    return ModemSettings(device=_text(value.get("device"), "modem.device", DEVICE, "device", required=True),
                         baudrate=_choice(value.get("baudrate"), "modem.baudrate", BAUDRATES, 115200),
                         mode=_choice(value.get("mode"), "modem.mode", MODES, "pdu"),
                         pin=_text(value.get("pin"), "modem.pin", PIN, "pin"),
                         delivery_reports=_flag(value.get("delivery_reports"), "modem.delivery_reports", True))


def _gateway(value: Any) -> GatewaySettings:
    value = _object(value, "gateway", {"url", "token"})
    url = _text(value.get("url"), "gateway.url", required=True)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise SmsSettingsError("gateway.url", "url")
    return GatewaySettings(url=url, token=_text(value.get("token"), "gateway.token"))


def parse_sms_settings(value: Any) -> SmsSettings:
    value = _object(value if value is not None else {}, "",
                    {"transport", "sender", "modem", "gateway", "callback_confirmation", "retries"})
    transport = _choice(value.get("transport"), "transport", TRANSPORTS, "off")
    retries = value.get("retries", 3)
    if retries is None:
        retries = 3
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise SmsSettingsError("retries", "whole", low=0, high=MAX_RETRIES)
    modem = _modem(value["modem"]) if value.get("modem") else None
    gateway = _gateway(value["gateway"]) if value.get("gateway") else None
    if transport == "modem" and modem is None:
        raise SmsSettingsError("modem", "required")
    if transport == "gateway" and gateway is None:
        raise SmsSettingsError("gateway", "required")
    return SmsSettings(transport=transport, sender=_text(value.get("sender"), "sender", SENDER, "sender"),
                       modem=modem, gateway=gateway,
                       callback_confirmation=_flag(value.get("callback_confirmation"), "callback_confirmation",
                                                   False),
                       retries=retries)


def load(raw: str | None) -> SmsSettings:
    """The stored setting (JSON text, or None: SMS off)."""
    return parse_sms_settings(json.loads(raw) if raw else {})


def masked(value: dict) -> dict:
    """The settings object with the PIN and the token replaced, for showing."""
    shown = json.loads(json.dumps(value))
    for part in shown.values():
        if isinstance(part, dict):
            for secret in SECRETS:
                if part.get(secret):
                    part[secret] = "********"
    return shown
