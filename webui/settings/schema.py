"""The box's settings as the API reads and answers them: one model, every field optional in a change
and present in an answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from firmware.notify.config import LANGUAGES as NOTICE_LANGUAGES
from firmware.notify.config import SECURITIES
from firmware.prompts.catalogue import PromptLanguage
from webui.api.schema import Body, StrictBody

CODE = "^[a-z0-9][a-z0-9-]{0,30}$"
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]
Secret = Annotated[str, Field(json_schema_extra={"format": "password"})]


class PauseReason(StrictBody):
    code: str = Field(pattern=CODE)
    billable: bool = False
    max_seconds: float | None = Field(default=None, ge=60, le=86400,
                               description="a longer pause raises an alarm")


class Disposition(StrictBody):
    code: str = Field(pattern=CODE)
    label: str = Field(default=None, max_length=60)  # type: ignore[arg-type]


class EmailChannel(StrictBody):
    to: list[Email] = Field(min_length=1)
    from_: Email = Field(alias="from")
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal[SECURITIES] = "starttls"  # type: ignore[valid-type]
    username: str | None = None
    password: Secret | None = None


class SmsChannel(StrictBody):
    """The gateway gets a POST of {"to", "text"} as JSON, with the token as bearer; without a gateway
    the box's SMS service (a GSM modem, docs/sms.md) sends the notices."""
    to: list[Annotated[str, Field(pattern="^\\+?[0-9]{3,20}$")]] = Field(min_length=1)
    url: str | None = Field(default=None, pattern="^(https?://\\S+)?$",
                            description="the HTTP gateway (http or https); empty or left out: the box's SMS service")
    token: Secret | None = None


def _off_when_empty(channel: type) -> Any:
    """A notification channel: its settings, or null or {} for off."""
    ref = {"$ref": f"#/components/schemas/{channel.__name__}"}
    return WithJsonSchema({"oneOf": [{"type": "object", "maxProperties": 0, "nullable": True}, ref]})


class AlarmNotifications(StrictBody):
    """Where alarm notices go (ACD15); a channel left out or empty is off. Secrets are shown as
    "********"; given back as that or left out, the saved one stays; "" clears it."""
    email: Annotated[EmailChannel | None, _off_when_empty(EmailChannel)] = None
    sms: Annotated[SmsChannel | None, _off_when_empty(SmsChannel)] = None
    language: Literal[NOTICE_LANGUAGES] | None = Field(  # type: ignore[valid-type]
        default="en", description="the notices' language (they go to addresses, not users)")


class Settings(Body):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    prompt_language: PromptLanguage = Field(default=None,  # type: ignore[arg-type]
                                            description="language of the prompts callers hear")
    pause_reasons: list[PauseReason] = Field(default=None,  # type: ignore[arg-type]
                                             description="what agents may pause for (ACD10), the defaults while "
                                                         "unset; no-answer is always there")
    dispositions: list[Disposition] = Field(default=None, min_length=1,  # type: ignore[arg-type]
                                            description="what calls may be classified as (ACD12), the defaults "
                                                        "while unset")
    alarm_notifications: AlarmNotifications = None  # type: ignore[assignment]
