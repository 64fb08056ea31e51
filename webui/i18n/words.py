"""Wording for pages: messages that arrive as codes with parameters (firmware.message.Message, the
web's FieldError) and the codes the box shows as they are stored (an agent's state, a call's
outcome, a role...). Unknown codes and the box's own data (names, user-made labels) are shown as
they are. The API never comes here: its texts stay English."""

from __future__ import annotations

from numbers import Number
from typing import Any

from flask_babel import format_decimal, gettext, lazy_gettext as _l, lazy_pgettext as _lp
from markupsafe import Markup

from firmware.message import Message, N_


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
        if "field" in params:
            params["field"] = field_label(params["field"])
        text = gettext(message.template)
        return text.format(**params) if params else text
    if isinstance(message, str):        # a text of the catalogue (werkzeug's own descriptions), else as it is
        text = " ".join(message.split())       # werkzeug's descriptions are wrapped in its source
        return gettext(text) if text else message
    return message


def not_saved(field: str, message: Any) -> str:
    """The line above a form that was not saved, its mistake worded."""
    return gettext("Not saved: %(field)s: %(message)s", field=field_label(field), message=word(message))


def field_label(field: Any) -> Any:
    """A form's field as its reader calls it ("extension" -> "anknytning"); a path into rules
    ("schedule.weekly.mon") is shown as it is, next to its input."""
    found = FIELDS.get(field) if isinstance(field, str) else None
    return str(found) if found is not None else field


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


# werkzeug's names and default descriptions of the errors a page may end in (webui/templates/error.html).
HTTP_WORDS = (
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
    N_("Conflict"), N_("Request Entity Too Large"), N_("Too Many Requests"), N_("Internal Server Error"),
    N_("Service Unavailable"),
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    N_("You don't have the permission to access the requested resource. It is either read-protected or not "
       "readable by the server."),
    N_("The method is not allowed for the requested URL."),
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The server encountered an internal error and was unable to complete your request. Either the server is "
       "overloaded or there is an error in the application."),
)

# Codes the pages show, by kind: each kind is a context of the catalogue ("admin" the role is not
# "admin" the pause reason). The English is the code itself, as the pages showed it before they spoke
# other languages. Lazy: worded in the language of the request that shows them.
LABELS: dict[str, dict[str, Any]] = {
    "state": {
        "logged-out": _lp("agent state", "logged-out"), "idle": _lp("agent state", "idle"),
        "ringing": _lp("agent state", "ringing"), "busy": _lp("agent state", "busy"),
        "wrap-up": _lp("agent state", "wrap-up"), "paused": _lp("agent state", "paused"),
        "unavailable": _lp("agent state", "unavailable")},
    "outcome": {"answered": _lp("call outcome", "answered"), "abandoned": _lp("call outcome", "abandoned"),
                "overflowed": _lp("call outcome", "overflowed"), "failed": _lp("call outcome", "failed")},
    "callback": {"waiting": _lp("callback status", "waiting"), "calling": _lp("callback status", "calling"),
                 "connecting": _lp("callback status", "connecting"), "no-answer": _lp("callback status", "no-answer"),
                 "answered": _lp("callback status", "answered"), "failed": _lp("callback status", "failed"),
                 "cancelled": _lp("callback status", "cancelled"), "expired": _lp("callback status", "expired")},
    "role": {"admin": _lp("role", "admin"), "supervisor": _lp("role", "supervisor"), "agent": _lp("role", "agent")},
    "strategy": {"ring-all": _lp("strategy", "ring-all"), "sequential": _lp("strategy", "sequential"),
                 "round-robin": _lp("strategy", "round-robin"), "longest-idle": _lp("strategy", "longest-idle"),
                 "fewest-calls": _lp("strategy", "fewest-calls"), "least-talk-time": _lp("strategy", "least-talk-time"),
                 "random": _lp("strategy", "random"), "weighted-random": _lp("strategy", "weighted-random"),
                 "skills": _lp("strategy", "skills")},
    "trunk": {"peer": _lp("trunk type", "peer"), "register": _lp("trunk type", "register"),
              "fxo": _lp("trunk type", "fxo")},
    "condition": {"closed": _lp("overflow condition", "closed"), "max-length": _lp("overflow condition", "max-length"),
                  "max-wait": _lp("overflow condition", "max-wait"),
                  "no-agent-logged-in": _lp("overflow condition", "no-agent-logged-in"),
                  "no-agent-available": _lp("overflow condition", "no-agent-available"),
                  "estimated-wait": _lp("overflow condition", "estimated-wait"),
                  "calls-per-agent": _lp("overflow condition", "calls-per-agent")},
    "destination": {"queue": _lp("overflow destination", "queue"), "number": _lp("overflow destination", "number"),
                    "voicemail": _lp("overflow destination", "voicemail"),
                    "callback": _lp("overflow destination", "callback"), "hangup": _lp("overflow destination", "hangup")},
    "security": {"starttls": _lp("mail security", "starttls"), "tls": _lp("mail security", "tls"),
                 "none": _lp("mail security", "none")},
    # the box's default pause reasons and dispositions (settings made by an admin are shown as made)
    "pause_reason": {"break": _lp("pause reason", "break"), "lunch": _lp("pause reason", "lunch"),
                     "meeting": _lp("pause reason", "meeting"), "training": _lp("pause reason", "training"),
                     "admin": _lp("pause reason", "admin"), "no-answer": _lp("pause reason", "no-answer")},
    "disposition": {"Resolved": _l("Resolved"), "Needs a follow-up": _l("Needs a follow-up"), "Sale": _l("Sale"),
                    "No sale": _l("No sale"), "Complaint": _l("Complaint"), "Wrong number": _l("Wrong number")},
}


# The fields of the pages' forms, as a message names them ("extension: must contain digits only").
FIELDS: dict[str, Any] = {
    "name": _lp("form field", "name"), "extension": _lp("form field", "extension"),
    "sip_password": _lp("form field", "sip_password"), "username": _lp("form field", "username"),
    "password": _lp("form field", "password"), "password2": _lp("form field", "password2"),
    "role": _lp("form field", "role"), "agent_id": _lp("form field", "agent_id"),
    "address": _lp("form field", "address"), "type": _lp("form field", "type"), "did": _lp("form field", "did"),
    "queue_id": _lp("form field", "queue_id"), "priority": _lp("form field", "priority"),
    "strategy": _lp("form field", "strategy"), "text": _lp("form field", "text"), "note": _lp("form field", "note"),
    "disposition": _lp("form field", "disposition"), "queue_ids": _lp("form field", "queue_ids"),
    "reason": _lp("form field", "reason"), "seconds": _lp("form field", "seconds"),
    "skills": _lp("form field", "skills"), "wrapup": _lp("form field", "wrapup"),
    "ring_timeout": _lp("form field", "ring_timeout"), "language": _lp("form field", "language"),
}


def label(value: Any, kind: str) -> Any:
    """The page's word for a stored code of `kind`; a code without one is shown as it is."""
    found = LABELS[kind].get(value) if isinstance(value, str) else None
    return str(found) if found is not None else value
