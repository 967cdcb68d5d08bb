"""Browser-test fixtures: a live ProCheck server (CSRF on) and Debian's Chromium driven by Playwright.

The browser tests run on SQLite: they use their own fixtures (`live_server`, `page`) and not the
top-level `app` fixture. The live server's database is a copy of the worker's migrated SQLite template
(tests/conftest.py). Chromium is mandatory when CI=true; elsewhere the tests skip with the reason when it
is not installed.
"""

import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.scheduling.models import FollowUpRule
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
def live_server(tmp_path, sqlite_template) -> Iterator[LiveServer]:
    """A real HTTP server in a background thread on a fresh, migrated SQLite file, with CSRF on.

    The file is a copy of the worker's template (tests/conftest.py: migrated, reference data, partners and the
    ACCOUNTS with PASSWORD hashed once per run), without the follow-up rules: a browser test that needs them
    seeds them (seed_default_rules).
    """
    path = tmp_path / "browser.db"
    shutil.copyfile(sqlite_template, path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(f"DELETE FROM {FollowUpRule.__tablename__}")
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", WTF_CSRF_ENABLED=True)
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
