"""Test fixtures: a fresh, migrated and seeded database per test, copied from a template built once per worker.

- Every test that uses `app` runs on SQLite. Tests marked `postgres` (claiming, concurrency, constraints,
  time types, ...) run on PostgreSQL as well: pytest_generate_tests parametrizes the `backend` fixture.
- Each pytest(-xdist) worker builds one SQLite template file and, when one of its tests needs it, one
  PostgreSQL template database, with the real Alembic migrations and the seed data. A test gets a copy:
  the file copied into its tmp_path, or `CREATE DATABASE … TEMPLATE …`. Commits are real commits, other
  threads and processes see them, and nothing needs truncating afterwards.
- The `app` fixture pushes no application context (as in the Flask tutorial). The test body runs in an
  application context of its own; every request sent through the test client runs in a context of its own
  with its own database session, as in production. So a view that forgets to commit loses its write and
  the test sees it; the test-only guard (CHECK_PENDING_CHANGES) even fails the request. Before each request
  the test's own transaction is committed (what the test set up is visible to the request and holds no
  SQLite lock) and after it the test's objects are expired, so assertions read what the database holds.

PostgreSQL is mandatory when CI=true; elsewhere its tests skip with the reason when no server answers.
"""

import contextvars
import os
import shutil
import sqlite3
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import psycopg
import pytest
from flask import Flask, current_app, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import make_url

from app import create_app
from app.auth import sessions
from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.partners.services import seed_partners
from app.reference.loader import load_reference
from app.scheduling.rules import seed_default_rules

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("PG_TEST_SERVER", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "procheck-demo"
ACCOUNTS = {
    "scout": ("scout1@example.org", "Sina Scout", "scout"),
    "scout2": ("scout2@example.org", "Sven Scout", "scout"),
    "lead": ("leitung@example.org", "Lena Leitung", "lead"),
    "admin": ("admin@example.org", "Adam Admin", "admin"),
}
BACKENDS = ("sqlite", "postgresql")

pytest_plugins = ["tests.mailserver"]


# --- the German catalogue: a bare `pytest` works on a fresh clone -----------------------------------------------

def _compile_catalogues() -> None:
    """Compile translations/*/LC_MESSAGES/messages.po when its .mo is missing or older (as `make` would)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_name(f".{mo.name}.{uuid.uuid4().hex}")  # parallel workers never see half a file
        with partial.open("wb") as target:
            write_mo(target, catalog)
        os.replace(partial, mo)


def pytest_configure(config) -> None:
    _compile_catalogues()


def pytest_sessionstart(session) -> None:
    if IN_CI and not hasattr(session.config, "workerinput") and (problem := _pg_problem()):
        pytest.exit(f"CI=true but PostgreSQL is not reachable at {PG_SERVER}: {problem}", returncode=1)


def pytest_generate_tests(metafunc) -> None:
    """`backend` (and so `app`): SQLite for every test, PostgreSQL too for the tests marked `postgres`."""
    if "backend" in metafunc.fixturenames:
        backends = BACKENDS if metafunc.definition.get_closest_marker("postgres") else BACKENDS[:1]
        metafunc.parametrize("backend", backends, ids=backends, indirect=True)


# --- templates: migrated and seeded once per worker -------------------------------------------------------------

@pytest.fixture(scope="session")
def password_hash():
    return hash_password(PASSWORD)  # hashed once: Argon2id is slow on purpose


def _migrate_and_seed(url: str, password_hash: str) -> None:
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        load_reference()
        seed_partners()
        seed_default_rules()
        for email, name, role in ACCOUNTS.values():
            db.session.add(User(email=email, name=name, role=role, password_hash=password_hash))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def sqlite_snapshot(path: Path) -> Path:
    """Fold the write-ahead log into the main file, so that copying the one file copies everything."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, password_hash) -> Path:
    """One migrated, seeded SQLite file per worker; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate_and_seed(f"sqlite:///{path}", password_hash)
    return sqlite_snapshot(path)


def _pg_problem() -> str | None:
    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def _pg_url(name: str) -> str:
    return make_url(PG_SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(password_hash) -> Iterator[str]:
    """One migrated, seeded PostgreSQL template database per worker, built when a test of the worker needs it."""
    if problem := _pg_problem():
        message = f"PostgreSQL not reachable at {PG_SERVER} ({problem})"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    name = f"procheck_tpl_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _migrate_and_seed(_pg_url(name), password_hash)  # disposes its engine: no connection left to the template
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PostgresDatabases:
    """The per-test databases of one worker: `CREATE DATABASE … TEMPLATE …`, dropped WITH (FORCE) afterwards.

    Creating a database and dropping one (which waits for a checkpoint) cost PostgreSQL a few tenths of a second
    each, mostly waiting for the disk. So one background thread keeps the next tests' databases ready and
    another drops the used ones, while the tests run.
    """

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self.template = template
        self.creating = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-create")
        self.dropping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self.ready: deque[Future[str]] = deque()
        self.drops: list[Future[None]] = []

    def _create(self) -> str:
        name = f"procheck_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        while len(self.ready) <= self.AHEAD:
            self.ready.append(self.creating.submit(self._create))
        return self.ready.popleft().result()

    def drop(self, name: str) -> None:
        self.drops.append(self.dropping.submit(_pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for prepared in self.ready:
            with suppress(Exception):
                self.drop(prepared.result())
        self.creating.shutdown(wait=True)
        self.dropping.shutdown(wait=True)
        failed = [str(f.exception()) for f in self.drops if f.exception() is not None]
        assert not failed, f"test databases not dropped: {failed}"


@pytest.fixture(scope="session")
def postgres_databases(postgres_template) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_template)
    try:
        yield databases
    finally:
        databases.close()  # before the template is dropped


# --- per test: a copy of the template ---------------------------------------------------------------------------

@pytest.fixture
def backend(request) -> str:
    """The database of the test: "sqlite", or "postgresql" as well for tests marked `postgres` (see
    pytest_generate_tests)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request, backend, tmp_path) -> Iterator[str]:
    """A fresh database for this test: a copy of this worker's template."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.take()
    try:
        yield _pg_url(name)
    finally:
        databases.drop(name)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context with its own database session.

    The request is run in an empty contextvars.Context, so Flask pushes a fresh application context for it
    even while the test body holds one of the same app: the request's session is not the test's, and what a
    view forgets to commit is lost (and fails the request with PendingChanges under CHECK_PENDING_CHANGES).
    Before the request the test's transaction is committed, so what the test set up is visible to the request
    and holds no SQLite lock; afterwards the test's objects are expired, so assertions read the database.
    """

    def open(self, *args, **kwargs):
        _end_test_transaction(self.application)
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            _end_test_transaction(self.application)

    @contextmanager
    def session_transaction(self, *args, **kwargs):
        """Signing in: its request context shares the test's session, so the test's transaction ends first."""
        _end_test_transaction(self.application)
        with super().session_transaction(*args, **kwargs) as session:
            yield session


def _end_test_transaction(app: Flask) -> None:
    """Commit the test body's session (if the test holds an app context of this app) and expire its objects."""
    if has_app_context() and current_app._get_current_object() is app:
        db.session.commit()
        db.session.expire_all()


@pytest.fixture
def app(database_url) -> Iterator[Flask]:
    """The application on a fresh database; it pushes no application context (the test body gets its own)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()  # before the database is dropped or its file removed


@pytest.fixture(autouse=True)
def body_app_context(request):
    """The test body (and its fixtures) run in an application context of `app`, with a session of its own.

    Only for tests that use `app`; requests sent through the client get their own contexts (IsolatedClient).
    """
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    with app.app_context() as context:
        yield context
        db.session.remove()


@pytest.fixture
def client(app) -> IsolatedClient:
    return app.test_client()


@pytest.fixture
def users(app) -> dict[str, User]:
    by_email = {u.email: u for u in db.session.scalars(db.select(User))}
    return {key: by_email[email] for key, (email, _n, _r) in ACCOUNTS.items()}


@pytest.fixture
def login(client, users):
    """Sign a test client in as one of the accounts without paying for Argon2 each time."""

    def sign_in(who: str, on=None):
        target = on or client
        with target.session_transaction() as session:
            session["_user_id"] = sessions.open_now(users[who])
            session["_fresh"] = True
        return users[who]

    return sign_in
