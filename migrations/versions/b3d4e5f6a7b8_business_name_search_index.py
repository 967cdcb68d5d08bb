"""business name search index: FTS5 trigram table on SQLite, pg_trgm GIN index on PostgreSQL

The caseload search (app.cases.search) finds businesses by a fragment of their name through an index:
on SQLite an external-content FTS5 table with the trigram tokenizer over businesses.name, kept in step
by three triggers (so Core bulk inserts fill it too); on PostgreSQL a GIN index with gin_trgm_ops,
which serves `name ILIKE '%term%'`. Neither is described by the models (app.cases.search.SEARCH_OBJECTS
keeps them out of the autogenerate comparison).

Revision ID: b3d4e5f6a7b8
Revises: b1c2d3e4f5a6
Create Date: 2026-12-04 09:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3d4e5f6a7b8'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE businesses_fts USING fts5("
    "name, content='businesses', content_rowid='id', tokenize='trigram')",
    "INSERT INTO businesses_fts(businesses_fts) VALUES ('rebuild')",
    "CREATE TRIGGER businesses_fts_insert AFTER INSERT ON businesses BEGIN "
    "INSERT INTO businesses_fts(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER businesses_fts_delete AFTER DELETE ON businesses BEGIN "
    "INSERT INTO businesses_fts(businesses_fts, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER businesses_fts_update AFTER UPDATE OF id, name ON businesses BEGIN "
    "INSERT INTO businesses_fts(businesses_fts, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO businesses_fts(rowid, name) VALUES (new.id, new.name); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS businesses_fts_update",
    "DROP TRIGGER IF EXISTS businesses_fts_delete",
    "DROP TRIGGER IF EXISTS businesses_fts_insert",
    "DROP TABLE IF EXISTS businesses_fts",
)
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_businesses_name_trgm ON businesses USING gin (name gin_trgm_ops)",
)
# The extension stays: it may have been there before, and other objects may use it.
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_businesses_name_trgm",)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def upgrade():
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade():
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})
