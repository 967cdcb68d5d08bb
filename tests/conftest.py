"""Test fixtures: every test that uses `app` runs on SQLite and on PostgreSQL.

Each pytest run gets its own SQLite file and its own PostgreSQL database (created and
dropped here), built with the real Alembic migrations, so parallel runs never collide.
PostgreSQL is mandatory when CI=true; elsewhere its tests skip when no server answers.
"""

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import delete, text

from app import create_app
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


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """Build one migrated database per backend for this test run."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    problem = _pg_reachable()
    pg_name = f"procheck_test_{uuid.uuid4().hex[:10]}"
    if problem is None:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        server = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        urls["postgresql"] = f"{server}/{pg_name}"
    elif IN_CI:
        pytest.exit(f"CI=true but PostgreSQL is not reachable at {PG_SERVER}: {problem}", returncode=1)
    else:
        urls["postgresql_skip_reason"] = f"PostgreSQL not reachable at {PG_SERVER} ({problem})"
    for name in ("sqlite", "postgresql"):
        if name in urls:
            app = create_app("test", SQLALCHEMY_DATABASE_URI=urls[name])
            with app.app_context():
                upgrade()
                db.engine.dispose()
    yield urls
    if "postgresql" in urls:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def password_hash():
    return hash_password(PASSWORD)  # hashed once: Argon2id is slow on purpose


def _empty_all_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
    db.session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, database_urls, password_hash):
    if request.param not in database_urls:
        pytest.skip(database_urls["postgresql_skip_reason"])
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_urls[request.param])

    @app.teardown_request
    def forget_signed_in_user(_exc):
        # Requests share the fixture's app context (and g); Flask-Login caches the user in g.
        g.pop("_login_user", None)

    with app.app_context():
        _empty_all_tables()
        load_reference()
        seed_partners()
        seed_default_rules()
        for email, name, role in ACCOUNTS.values():
            db.session.add(User(email=email, name=name, role=role, password_hash=password_hash))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
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
            session["_user_id"] = users[who].get_id()
            session["_fresh"] = True
        return users[who]

    return sign_in


pytest_plugins = ["tests.mailserver"]
