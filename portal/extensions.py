"""Per-app state bound in the factory: settings and the database session for this request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session

from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory
from hotspot.settings import Settings


@dataclass
class PortalState:
    settings: Settings
    engine: Engine
    db: scoped_session
    box: SecretBox


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings)
    state = PortalState(settings, engine, scoped_session(make_session_factory(engine)), SecretBox(settings.secret_key))
    app.extensions["hotspot"] = state

    @app.teardown_appcontext
    def remove_session(_exc):
        state.db.remove()


def state() -> PortalState:
    return current_app.extensions["hotspot"]


def db() -> Session:
    """The database session of the current request (removed at teardown)."""
    return state().db()


def settings() -> Settings:
    return state().settings
