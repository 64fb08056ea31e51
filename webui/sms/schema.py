"""The SMS log's resources and the SMS settings as the API reads and answers them, and as the
pages' forms are read: these models are the rules (webui.validation)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from firmware.message import N_
from firmware.sms import settings as sms_settings
from firmware.sms.store import STATUSES
from webui.api.schema import NOTE_CHAR, ONE_LINE, SQLITE_INT_MAX, MultilineText, Query, Resource, StrictBody, Text, \
    Time
from webui.validation import Hint

MAX_TEXT = 1600        # ten parts of GSM 7-bit text: more is a letter, not an SMS
Status = Literal[STATUSES]  # type: ignore[valid-type]
Direction = Literal["out", "in"]
PHONE_PATTERN = "^\\+?[0-9]{3,20}$"


class Sms(Resource):
    id: int
    direction: Direction
    number: str = Field(description="the recipient (out) or the sender (in)")
    text: str
    status: Status = Field(description="out: queued, sent (the network or gateway took it), delivered or "
                                       "undelivered (its delivery report), failed (every attempt failed); "
                                       "in: received")
    purpose: str = Field(description="out: api, web, callback (a callback's confirmation), alarm")
    author: str = Field(description="who asked: a user, engine, notifier")
    call_id: int | None = Field(description="the call whose callback it confirms")
    transport: str = Field(description="modem or gateway, once tried")
    sender: str = Field(description="what the recipient sees as the sender, when known")
    encoding: str = Field(description="gsm7 or ucs2")
    parts: int
    concat_reference: int
    created_at: Time = Field(description="queued, or received")
    sent_at: Time | None
    reported_at: Time | None = Field(description="the last delivery report")
    report_status: int | None = Field(description="its TP-ST (3GPP TS 23.040 9.2.3.15)")
    attempts: int
    next_attempt_at: Time
    last_error: str


class SmsSend(StrictBody):
    to: Annotated[Text, Hint(N_("must be a phone number like +46701234567"))] = Field(
        max_length=21, pattern=PHONE_PATTERN, description="the recipient's number")
    text: MultilineText = Field(min_length=1, max_length=MAX_TEXT, pattern=f"^{NOTE_CHAR}*$",
                                description="longer than one SMS goes in parts; outside the GSM alphabet in UCS-2")


class SmsFilters(Query):
    direction: Direction = Field(default=None, description="out or in")  # type: ignore[assignment]
    status: Status = Field(default=None, description="only this status")  # type: ignore[assignment]
    number: str = Field(default=None, max_length=21, pattern=ONE_LINE,  # type: ignore[assignment]
                        description="the number contains this")
    limit: int = Field(default=50, ge=1, le=500, description="page size")
    offset: int = Field(default=0, ge=0, le=SQLITE_INT_MAX, description="messages to skip")


Secret = Annotated[str, Field(max_length=128, json_schema_extra={"format": "password"},
                              description='shown as "********"; given back as that or left out, the saved one '
                                          'stays; "" clears it')]


class SmsModem(StrictBody):
    device: str = Field(max_length=255, pattern=sms_settings.DEVICE.pattern,
                        description="the modem's serial device (a stable name: /dev/serial/by-id/...)")
    baudrate: Literal[sms_settings.BAUDRATES] = 115200  # type: ignore[valid-type]
    mode: Literal[sms_settings.MODES] = Field(  # type: ignore[valid-type]
        default="pdu", description="text sends what text mode can carry (one plain part) as text, the rest as PDU")
    pin: Secret | None = None
    delivery_reports: bool = True


class SmsGateway(StrictBody):
    url: str = Field(max_length=500, json_schema_extra={"format": "uri"},
                     description='gets a POST of {"to", "text", "from"} as JSON')
    token: Secret | None = None


class SmsSettings(StrictBody):
    """How the box sends SMS. In a change, every field is optional: those given replace the saved ones
    (null removes one: the modem's or the gateway's part, or a field back to its default)."""
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    transport: Literal[sms_settings.TRANSPORTS] = "off"  # type: ignore[valid-type]
    sender: str = Field(default="", max_length=21, pattern=f"^$|{sms_settings.SENDER.pattern}",
                        description="the company's common number or name (1-11 letters, digits, spaces): the "
                                    "gateway sends it; a modem sends from its SIM's own number")
    modem: SmsModem | None = None
    gateway: SmsGateway | None = None
    callback_confirmation: bool = Field(default=False, description="text callers when their callback is booked")
    retries: int = Field(default=3, ge=0, le=sms_settings.MAX_RETRIES,
                         description="attempts after the first before a message is failed")


class SmsSettingsState(SmsSettings):
    status: str = Field(default="", description="what the SMS service last found (ready, the modem's error)")
