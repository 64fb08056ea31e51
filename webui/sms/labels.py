"""The SMS log's codes as the pages word them (webui.i18n.words.label): the English is the code."""

from __future__ import annotations

from flask_babel import lazy_pgettext as _lp

from webui.i18n.words import LABELS

LABELS.update({
    "sms-status": {"queued": _lp("sms status", "queued"), "sent": _lp("sms status", "sent"),
                   "delivered": _lp("sms status", "delivered"), "undelivered": _lp("sms status", "undelivered"),
                   "failed": _lp("sms status", "failed"), "received": _lp("sms status", "received")},
    "sms-direction": {"out": _lp("sms direction", "out"), "in": _lp("sms direction", "in")},
    "sms-purpose": {"api": _lp("sms purpose", "api"), "web": _lp("sms purpose", "web"),
                    "callback": _lp("sms purpose", "callback"), "alarm": _lp("sms purpose", "alarm")},
    "sms-transport": {"off": _lp("sms transport", "off"), "modem": _lp("sms transport", "modem"),
                      "gateway": _lp("sms transport", "gateway")},
    "sms-mode": {"pdu": _lp("sms mode", "pdu"), "text": _lp("sms mode", "text")},
})
