"""Fixtures shared by every suite: a fresh database per test, settings, the app and a client.

SQLite by default (a temp file); PostgreSQL when HOTSPOT_TEST_DATABASE_URL is
set, with a fresh schema per test selected through libpq's search_path option,
so servers started by a test in another process see the same schema.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from hotspot.db import make_engine, make_session_factory
from hotspot.models import Base
from hotspot.settings import Settings
from testbed.helpers import fresh_postgres_schema
from tests.support.world import World

TEST_DATABASE_URL = os.environ.get("HOTSPOT_TEST_DATABASE_URL")


@contextlib.contextmanager
def fresh_database_url(directory: Path):
    """URL of an empty database (no tables yet): a SQLite file in `directory`, or a fresh PostgreSQL
    schema."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{directory / 'hotspot.db'}"
        return
    with fresh_postgres_schema(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
def database_url(tmp_path):
    """URL of an empty database for this test (no tables yet)."""
    with fresh_database_url(tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings().with_overrides(
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        var_dir=str(tmp_path / "var"),
        log_level="DEBUG",
    )


@pytest.fixture
def engine(settings):
    engine = make_engine(settings)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """A session on the fresh database; services commit through it."""
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def app(settings, engine):
    from portal import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["hotspot"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


ADMIN_PASSWORD = "correct horse battery"


def csrf_token_from(html: str) -> str:
    """The CSRF token a console page carries (meta tag or hidden field)."""
    match = re.search(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def login(client, db):
    """Create an admin with a role and sign the test client in through the real /admin/login form.

    `login("operator")` returns the AdminUser; the client then carries its session cookie.
    """
    from hotspot.services.admins import create_admin

    def sign_in(role: str = "admin", username: str | None = None):
        admin = create_admin(db, username or f"{role}-user", ADMIN_PASSWORD, role, actor="test")
        token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
        response = client.post(
            "/admin/login", data={"username": admin.username, "password": ADMIN_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return admin

    return sign_in


@pytest.fixture
def world(db, settings, tmp_path):
    """The test's World: routers, plans, tickets and RADIUS daemons built on demand, daemons stopped after."""
    built = World(db, settings, tmp_path)
    yield built
    built.close()
