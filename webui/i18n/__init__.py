"""The pages in four languages (issue 9, item 8): Flask-Babel with the catalogues en, sv, de and zh
of webui/translations, the choice of a request's language, and the locale's formats.

A page's language is the user's own setting (`users.language`, chosen in the page header), else
the best of the browser's Accept-Language that the box speaks (RFC 9110 quality order, matched by Babel's
negotiation: de-CH is de, zh-Hans-CN, zh_TW and zh are zh), else English. The API and the logs stay
English whatever the request asks. The prompt language callers hear is a separate box setting.
"""

from __future__ import annotations

from babel.core import negotiate_locale
from flask import Flask, g, request
from flask_babel import Babel, get_locale

from firmware.store import queries
from webui.i18n import catalogues, formats, words
from webui.i18n.languages import DEFAULT, HTML_LANG, LANGUAGES, known
from webui.i18n.words import not_saved, word

__all__ = ["LANGUAGES", "init_app", "language", "not_saved", "word"]

babel = Babel()


def from_accept_language() -> str | None:
    """The browser's most wanted language that the box speaks, by Accept-Language (werkzeug parses
    the header and orders it by quality; a language with q=0 is refused, not wanted)."""
    wanted = [value.replace("_", "-") for value, quality in request.accept_languages if quality > 0]
    return negotiate_locale(wanted, list(LANGUAGES), sep="-")


def _users_language() -> str | None:
    from webui.access import current_identity
    from webui.db import get_db

    identity = current_identity()
    if identity is None or identity.user_id is None:
        return None
    user = queries.get_user(get_db(), identity.user_id)
    return known(user["language"]) if user is not None else None


def select_language() -> str:
    """Flask-Babel's locale selector; asked once per request, on the first word or format."""
    if "language" not in g:
        from webui.access import is_api_request

        g.language_chosen = "" if is_api_request() else (_users_language() or "")
        g.language = DEFAULT if is_api_request() else (g.language_chosen or from_accept_language() or DEFAULT)
    return g.language


def language() -> str:
    """The language of the current request's pages."""
    return str(get_locale() or DEFAULT)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogues.compiled())
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.filters.update(word=word, label=words.label, number=formats.number, percent=formats.percent,
                                 local_time=formats.local_time, local_date=formats.local_date,
                                 duration=formats.duration)

    from webui.i18n.views import bp

    app.register_blueprint(bp)

    @app.context_processor
    def languages():
        current = language()
        # what the switcher shows as chosen: the user's choice, "" for the browser's
        return {"languages": LANGUAGES, "language": current, "html_lang": HTML_LANG.get(current, current),
                "language_chosen": g.get("language_chosen", "")}
