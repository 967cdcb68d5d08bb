"""Browser-test fixtures: a live ProCheck server (CSRF on) and Debian's Chromium driven by Playwright.

The browser tests run once, on SQLite: they use their own fixtures (`live_server`, `page`) and not
the top-level `app` fixture, which is parametrized over SQLite and PostgreSQL. Chromium is
mandatory when CI=true; elsewhere the tests skip with the reason when it is not installed.
"""

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.auth.models import User
from app.extensions import db
from app.partners.services import seed_partners
from app.reference.loader import load_reference
from tests.conftest import ACCOUNTS
from tests.mailserver import MailServer

IN_CI = os.environ.get("CI", "").lower() == "true"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; skip without it, except under CI=true where browser tests are mandatory."""
    path = DEBIAN_CHROMIUM if Path(DEBIAN_CHROMIUM).is_file() else shutil.which("chromium")
    if path is None:
        message = "Chromium not found: install Debian's chromium package"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class LiveServer:
    url: str  # base URL without a trailing slash
    app: Flask  # for database assertions inside `with app.app_context()`


@pytest.fixture
def live_server(tmp_path, password_hash) -> Iterator[LiveServer]:
    """A real HTTP server in a background thread on a fresh, migrated SQLite file, with CSRF on.

    password_hash comes from tests/conftest.py: Argon2id is hashed once per run, not per test.
    """
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'browser.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        load_reference()
        seed_partners()
        for email, name, role in ACCOUNTS.values():
            db.session.add(User(email=email, name=name, role=role, password_hash=password_hash))
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path) -> Iterator[Browser]:
    """One headless Chromium for the whole run (each test gets its own context, so nothing leaks)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (own cookies): German locale, 1280×900 unless told."""
    contexts: list[BrowserContext] = []

    def open_page(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    expect.set_options(timeout=TIMEOUT_MS)
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """One page at the default size (tests that need two users at once use new_page twice)."""
    return new_page()


@pytest.fixture
def mail_server(live_server):
    """A real SMTP server the live app sends to; links in its mails point at the live server."""
    server = MailServer().start()
    live_server.app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                                  MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_USERNAME="",
                                  MAIL_TIMEOUT_SECONDS=5, PUBLIC_BASE_URL=live_server.url)
    yield server
    server.stop()
