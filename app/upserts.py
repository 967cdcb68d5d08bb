"""Counters kept by atomic upserts: INSERT … ON CONFLICT DO UPDATE SET column = column + excluded.column.

The read models (app.cases.readmodel, app.checks.figures) add deltas to cells this way on SQLite and PostgreSQL
alike, so two transactions changing the same cell never lose an addition.
"""

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def add(table: Table, keys: Sequence[str], rows: list[dict]) -> None:
    """Add each row's non-key values to its cell (inserting the cell when it is new); flushes nothing else."""
    if not rows:
        return
    insert_ = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    statement = insert_(table)
    sums = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={name: table.c[name] + statement.excluded[name] for name in sums},
    )
    # One executemany in a stable order: two transactions touching the same cells lock them in the same order (no
    # deadlock). The rows are one per cell (the callers sum per key first), so no statement meets a cell twice.
    db.session.execute(statement, sorted(rows, key=lambda r: tuple(r[key] for key in keys)))
