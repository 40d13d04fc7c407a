"""Debian's Chromium driven by Playwright (never a downloaded browser); screenshots go to test-artifacts/."""

from __future__ import annotations

import contextlib
import threading

import pytest
from werkzeug.serving import make_server

from testbed.helpers import PROJECT_ROOT, free_port

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def browser():
    """A headless Chromium from /usr/bin/chromium, closed after the test."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def serving(wsgi_app):
    """A WSGI app on a free loopback port, served by werkzeug in a thread; yields its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def served(app):
    """The app on a free loopback port for the test's length."""
    with serving(app) as url:
        yield url


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()
