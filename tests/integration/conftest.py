"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from tests.support.websec import populate


@pytest.fixture
def site(db, settings):
    """The populated site the web-security tests attack (tests.support.websec.populate): the ids its routes
    take."""
    return populate(db, settings)
