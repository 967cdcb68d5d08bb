"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL, both ways.

Every test database is already a copy of a template built with `upgrade()`; these tests compare it with the
models, and take the migrations down to nothing and up again. The search's FTS5 tables (SQLite) and trigram
index (PostgreSQL) live outside the models: app.cases.search.include_name leaves them out of the comparison.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.cases.search import include_name
from app.extensions import db

pytestmark = pytest.mark.postgres  # the migrations must hold on both databases


def _differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        return compare_metadata(context, db.metadata)


def test_the_migrated_schema_matches_the_models(app):
    assert _differences() == []


def test_the_migrations_go_down_to_nothing_and_up_again(app):
    db.session.remove()
    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []
