"""The web side of the hotspot: splash page for citizens, admin console, JSON API.

`create_app(settings)` builds the Flask app; tests pass their own settings.
"""

from __future__ import annotations

from flask import Flask

from hotspot.settings import Settings, load_settings
from portal import extensions


def create_app(settings: Settings | None = None) -> Flask:
    """Build the portal for the given settings (from the environment when None)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    extensions.init_app(app, settings)

    from portal import health

    app.register_blueprint(health.bp)
    from portal import admin, api

    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    return app
