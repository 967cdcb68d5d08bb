"""ProCheck application factory."""

import logging
import os
import secrets
import sys

import click
from flask import Flask
from sqlalchemy import event

from app import headers, inputs, transactions
from app.extensions import babel, csrf, db, login_manager, migrate
from config import BASE_DIR, CONFIGS, ProductionConfig


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("PROCHECK_ENV", "development")
    config = CONFIGS[config_name]
    if config is ProductionConfig and (problems := ProductionConfig.problems()):
        sys.exit(f"ProCheck refuses to start in production: {'; '.join(problems)}.")

    app = Flask(__name__, template_folder=str(BASE_DIR / "templates"), instance_path=str(BASE_DIR / "instance"))
    app.config.from_object(config)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "de", timezone_selector=lambda: "Europe/Berlin")
    inputs.init_app(app)  # before the blueprints: their <int:…> routes use its converter

    # The packages in their dependency order (tests/test_architecture.py keeps it): each lower package
    # owns the registries and hooks that the higher ones fill in here, never on import.
    from app import admin, auth, cases, checks, imports, intake, partners, privacy, reports, scheduling, workshops
    from app.cli import procheck_cli
    from app.web import register_web

    for package in (auth, cases, scheduling, imports, intake, partners, workshops, checks, reports, privacy, admin):
        package.init_app(app)
    transactions.init_app(app)
    headers.init_app(app)
    register_web(app)
    app.cli.add_command(procheck_cli)
    if app.config["SCHEDULER_IN_PROCESS"] and _serving():
        from app.scheduling.runner import start_in_process

        start_in_process(app)
    return app


def _instance_secret(instance_path: str) -> str:
    """Development without SECRET_KEY: a random key made on the first run, kept (owner-only) in instance/."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        draft = f"{path}.{os.getpid()}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:  # link is atomic: of two processes starting at once, the first one's complete key wins
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path, encoding="ascii") as file:
        return file.read().strip()


def _unicode_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _tune_sqlite(engine) -> None:
    """WAL lets the web process read while the dispatcher writes; the busy timeout waits for the lock.

    unicode_lower() is Python's str.lower (SQLite's lower() folds ASCII only): the caseload search compares
    with it where no index serves (app.cases.search)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)


def _serving() -> bool:
    """True inside `flask run`; other CLI commands (migrations, seeding) start no scheduler."""
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "run"
