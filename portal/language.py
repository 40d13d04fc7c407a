"""Bahasa Indonesia by default, English on request (`?lang=en`, remembered in a cookie).

The message ids in the code and templates are Indonesian; the English catalog
(portal/translations/en) is compiled to .mo by `make install`.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel, force_locale, get_translations, gettext
from markupsafe import Markup

LANGUAGES = ("id", "en")
COOKIE = "lang"


def chosen_language(default: str) -> str:
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGUAGES else default


def _translations():
    """The request's catalog, looked up once per request (a page has a few dozen strings)."""
    if "translations" not in g:
        g.translations = get_translations()
    return g.translations


def both_languages(message: str, **params) -> Markup:
    """Indonesian, then English, whatever the page's language: for what a citizen holds (voucher cards).

    Each half carries its `lang`, so screen readers (and the console language test) know which is which.
    """
    halves = []
    for language in LANGUAGES:
        with force_locale(language):
            halves.append(Markup('<span lang="{}">{}</span>').format(language, gettext(message, **params)))
    return Markup(" / ").join(halves)


def switch_url(language: str) -> str:
    """This page in another language: same path and gateway parameters, `lang` replaced.

    A page that answered a form (POST) cannot be asked for again: the switch leads to its section's start.
    """
    if request.method != "GET":
        start = "/admin/" if request.path.startswith("/admin/") else "/"
        return f"{start}?lang={language}"
    raw = request.query_string.decode("latin-1")
    kept = [part for part in raw.split("&") if part and not part.startswith("lang=")]
    return f"{request.path}?{'&'.join([*kept, f'lang={language}'])}"


def init_app(app: Flask, default_language: str) -> None:
    default = default_language if default_language in LANGUAGES else "id"
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    Babel(app, locale_selector=lambda: chosen_language(default))
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        switch_url=switch_url,
        both_languages=both_languages,
        current_language=lambda: chosen_language(default),
    )

    @app.after_request
    def remember_language(response):
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response
