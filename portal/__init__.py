"""The web side of the hotspot: splash page for citizens, admin console, JSON API.

`create_app(settings)` builds the Flask app; tests pass their own settings.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import IntegerConverter

from hotspot.settings import Settings, load_settings
from hotspot.validation import MAX_DATABASE_ID
from portal import errors, extensions, language, security
from portal.proxy import TrustedProxyFix


def create_app(settings: Settings | None = None) -> Flask:
    """Build the portal for the given settings (from the environment when None)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.url_map.converters["int"] = RowId
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        MAX_CONTENT_LENGTH=64 * 1024,
        # Phones on a slow hotspot fetch the stylesheet and logo once a day, not on every page.
        SEND_FILE_MAX_AGE_DEFAULT=86400,
        # Redis down must not lock citizens out: count in memory until it is back.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    if settings.behind_tls:
        # The TLS proxy's X-Forwarded-For (its last entry only: what a client wrote before it is not believed)
        # is the citizen's address, so per-address limits and audit entries name the client, not the proxy.
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings.trusted_proxies)
    extensions.init_app(app, settings)
    security.init_app(app, settings)
    language.init_app(app, settings.default_language)
    errors.init_app(app)
    _add_branding(app, settings)

    from portal import admin, api, captive, health, maps, mydata, splash

    for blueprint in (health.bp, splash.bp, mydata.bp, captive.bp, maps.bp, admin.bp, api.bp):
        app.register_blueprint(blueprint)
    return app


class RowId(IntegerConverter):
    """`<int:…>` in a URL, bounded to what the database can compare: a larger number is a 404, not a crash."""

    def __init__(
        self,
        url_map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_DATABASE_ID,
        signed: bool = False,
    ):
        super().__init__(url_map, fixed_digits, min, max, signed)


_COLOR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")


def _add_branding(app: Flask, settings: Settings) -> None:
    """City name, logo and colour from the settings; only a local logo and a plain hex colour are used."""
    default = Settings()
    logo = (
        settings.brand_logo
        if "://" not in settings.brand_logo and ".." not in settings.brand_logo
        else default.brand_logo
    )
    color = settings.brand_color if _COLOR.match(settings.brand_color) else default.brand_color
    app.jinja_env.globals["brand"] = {"city": settings.city_name, "logo": logo.lstrip("/"), "color": color}
