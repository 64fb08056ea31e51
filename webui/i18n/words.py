"""Wording for pages: messages that arrive as codes with parameters (firmware.message.Message, the
web's FieldError) and the codes the box shows as they are stored (an agent's state, a call's
outcome, a role...). Unknown codes and the box's own data (names, user-made labels) are shown as
they are. The API never comes here: its texts stay English."""

from __future__ import annotations

from numbers import Number
from typing import Any

from flask_babel import format_decimal, gettext, lazy_gettext as _l
from markupsafe import Markup

from firmware.message import Message


def _formatted(value: Any) -> Any:
    if isinstance(value, Message):
        return word(value)          # "{field}: {message}": the message is worded too
    if isinstance(value, Number) and not isinstance(value, bool):
        return format_decimal(value)
    return value


def word(message: Any) -> Any:
    """A Message in the page's language (its English template is the catalogue's msgid); a plain
    text as the catalogue has it, else unchanged. Markup is left alone."""
    if message is None or isinstance(message, Markup):
        return message
    if isinstance(message, Message):
        params = {k: _formatted(v) for k, v in message.params.items()}
        text = gettext(message.template)
        return text.format(**params) if params else text
    if isinstance(message, str):
        return gettext(message) if message else message
    return message


def field_error(exc: Any) -> str:
    """A FieldError or SettingsError for a page: "field: message" with the message worded."""
    message = getattr(exc, "message", None)
    if message is None:
        return word(getattr(exc, "description", None) or str(exc))
    return f"{exc.field}: {word(message)}" if exc.field else word(message)


def error_text(exc: Any) -> str:
    """Any error a page shows: a field's with its field named, else the worded description."""
    if getattr(exc, "message", None) is not None:
        return field_error(exc)
    return word(getattr(exc, "description", None) or str(exc))


# Codes the pages show, by kind. Lazy: worded in the language of the request that shows them.
LABELS: dict[str, dict[str, Any]] = {
    "state": {"logged-out": _l("logged out"), "idle": _l("idle"), "ringing": _l("ringing"), "busy": _l("busy"),
              "wrap-up": _l("wrap-up"), "paused": _l("paused"), "unavailable": _l("unavailable")},
    "outcome": {"answered": _l("answered"), "abandoned": _l("abandoned"), "overflowed": _l("overflowed"),
                "failed": _l("failed")},
    "callback": {"waiting": _l("waiting"), "calling": _l("calling"), "connecting": _l("connecting"),
                 "no-answer": _l("no answer"), "answered": _l("answered"), "failed": _l("failed"),
                 "cancelled": _l("cancelled"), "expired": _l("expired")},
    "role": {"admin": _l("admin"), "supervisor": _l("supervisor"), "agent": _l("agent")},
    "strategy": {"ring-all": _l("ring all"), "sequential": _l("sequential"), "round-robin": _l("round robin"),
                 "longest-idle": _l("longest idle"), "fewest-calls": _l("fewest calls"),
                 "least-talk-time": _l("least talk time"), "random": _l("random"),
                 "weighted-random": _l("weighted random"), "skills": _l("by skills")},
    "trunk": {"peer": _l("peer"), "register": _l("register")},
    "dtmf": {"rfc4733": _l("RFC 4733 events"), "inband": _l("in-band tones")},
    "condition": {"closed": _l("closed"), "max-length": _l("queue length over"), "max-wait": _l("wait over"),
                  "no-agent-logged-in": _l("no agent logged in"), "no-agent-available": _l("no agent available"),
                  "estimated-wait": _l("estimated wait over"), "calls-per-agent": _l("calls per agent over")},
    "destination": {"queue": _l("another queue"), "number": _l("a phone number"), "voicemail": _l("voicemail"),
                    "callback": _l("a callback"), "hangup": _l("hang up")},
    "security": {"starttls": _l("STARTTLS"), "tls": _l("TLS"), "none": _l("none (plain)")},
    # the box's default pause reasons and dispositions (settings made by an admin are shown as made)
    "pause_reason": {"break": _l("break"), "lunch": _l("lunch"), "meeting": _l("meeting"),
                     "training": _l("training"), "admin": _l("admin work"), "no-answer": _l("no answer")},
    "disposition": {"Resolved": _l("Resolved"), "Needs a follow-up": _l("Needs a follow-up"), "Sale": _l("Sale"),
                    "No sale": _l("No sale"), "Complaint": _l("Complaint"), "Wrong number": _l("Wrong number")},
}


def label(value: Any, kind: str) -> Any:
    """The page's word for a stored code of `kind`; a code without one is shown as it is."""
    found = LABELS[kind].get(value) if isinstance(value, str) else None
    return str(found) if found is not None else value
