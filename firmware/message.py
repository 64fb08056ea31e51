"""A message as a code and its parameters, which also reads as English text.

Pure code (the ACD's settings parser, the notifier's settings, the ACD's alarms) says what is wrong
without choosing the words: the web words a message in its reader's language (webui.i18n.word:
gettext of the English template, then the parameters), while the API and the logs show the
English text, which is also what `str()` gives, so existing callers and tests read it unchanged.
English templates are marked with `N_` so that `pybabel extract` finds them for the catalogues.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def N_(template: str) -> str:
    """Marks English text for the catalogues without translating it here."""
    return template


class Message(str):
    """English text that remembers its code, its English template and the values put into it."""

    code: str
    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template = template
        self.code = template
        self.params = params
        return self

    def __reduce__(self):
        return (_rebuild, (self.template, self.code, self.params))


def _rebuild(template: str, code: str, params: dict[str, Any]) -> Message:
    message = Message(template, **params)
    message.code = code
    return message


def coded(table: Mapping[str, str], code: str, /, **params: Any) -> Message:
    """The message `code` of a module's table of English templates."""
    message = Message(table[code], **params)
    message.code = code
    return message
