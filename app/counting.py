"""Counts that stop at a cap: a list's total counted up to cap + 1 rows, so that a backlog of 100,000 costs no
full scan on every page, and shown as "1.000+" beyond the cap."""

from flask_babel import format_number
from sqlalchemy import Select, func, select

from app.extensions import db


def count_upto(query: Select, cap: int) -> int:
    """The rows of `query`, counted up to cap + 1 (a LIMIT inside the count: an index range read that stops)."""
    return db.session.scalar(select(func.count()).select_from(query.limit(cap + 1).subquery()))


def shown(count: int, cap: int) -> str:
    """The count as German text; "1.000+" when it went past the cap."""
    return f"{format_number(cap)}+" if count > cap else format_number(count)
