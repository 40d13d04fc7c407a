"""Extensions and per-app state, created once and bound in the factory.

The splash pages and the admin console share one CSRF guard, one rate limiter
and one login manager (for admins; citizens never get a Flask-Login session).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory
from hotspot.models import AdminUser
from hotspot.services.signin import session_admin
from hotspot.settings import Settings

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "admin.auth.login"
ADMIN_SESSION_KEY = "admin_session"


@dataclass
class PortalState:
    settings: Settings
    engine: Engine
    db: scoped_session
    box: SecretBox


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings)
    state = PortalState(
        settings, engine, scoped_session(make_session_factory(engine)), SecretBox(settings.secret_key)
    )
    app.extensions["hotspot"] = state
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_url)
    # No X-RateLimit-* headers on every limited POST: a phone's browser ignores them, and they cost two more
    # Redis round trips per login (the window's state is read again after the hit). A 429 still says when
    # to retry (errors.retry_after).
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    @app.teardown_appcontext
    def remove_session(_exc):
        state.db.remove()


@login_manager.user_loader
def load_admin(admin_id: str) -> AdminUser | None:
    """The signed-in admin, only while the server-side session the cookie names still exists."""
    if not admin_id.isdigit():
        return None
    return session_admin(db(), int(admin_id), session.get(ADMIN_SESSION_KEY), utcnow())


def state() -> PortalState:
    return current_app.extensions["hotspot"]


def db() -> Session:
    """The database session of the current request (removed at teardown)."""
    return state().db()


def settings() -> Settings:
    return state().settings
