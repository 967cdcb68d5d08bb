"""Which tables hold data about a business, and how to export and anonymise them: one registry per app.

Every package's table that stores something about a business is registered here (app.privacy.tables does it
for the packages below privacy; a later package adds its own in its init_app, or the composition root does).
Export (Art. 15) reads every registered table's rows of the business, all columns; erasure (Art. 17) sets the
listed columns of those rows to anonymous values and scrubs the strings in the listed JSON columns.

Registering a table, e.g. a public request's rows (app.intake) that have a business_id:

    from app.privacy import registry
    registry.of(app).add(registry.PersonalTable(
        requests_table, _l("Requests from the public page"), registry.by_business("business_id"),
        erase={"name": "", "email": "", "message": ""}))

`by_business(column)` and `by_case(column)` build the row filter for tables that point at the business or one
of its cases; anything else passes its own `rows` function (business ids -> SQL condition). An erase value is a
constant or a function of the table that gives an SQL expression. `extra_erasers` are functions (given an
`Erasure`) for what is not a plain column update (the funnel's counts keyed by a reason text, staff digests that
name the business).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Table, select

from app.cases.models import Case

KEY = "procheck.privacy"

Rows = Callable[[Table, list[int]], ColumnElement[bool]]  # the table, business ids -> the rows' condition


@dataclass(frozen=True)
class Identifiers:
    """What identifies the businesses being erased (their name, contact person, email, phone, street, ...)."""

    values: frozenset[str]

    def scrub(self, value: Any, replacement: str = "") -> Any:
        """The value with every string that contains an identifier replaced (JSON: lists and dicts walked)."""
        if isinstance(value, str):
            folded = value.casefold()
            return replacement if any(v.casefold() in folded for v in self.values) else value
        if isinstance(value, list):
            return [self.scrub(item, replacement) for item in value]
        if isinstance(value, dict):
            return {key: self.scrub(item, replacement) for key, item in value.items()}
        return value


@dataclass(frozen=True)
class Erasure:
    """What an extra eraser is told: the businesses, their cases, their identifiers (all, and per business), and
    whether this is the retention's bulk run (which handles the staff digests once for all)."""

    business_ids: list[int]
    case_ids: list[int]
    identifiers: Identifiers
    by_business: dict[int, Identifiers]
    bulk: bool = False


Eraser = Callable[[Erasure], None]


@dataclass(frozen=True)
class PersonalTable:
    table: Table
    label: Any  # the export's section heading (German through lazy_gettext)
    rows: Rows
    erase: dict[str, Any] = field(default_factory=dict)  # column -> constant or (table -> SQL expression)
    scrub_json: tuple[str, ...] = ()  # JSON columns whose strings quoting an identifier are emptied
    order: int = 100


@dataclass(frozen=True)
class Link:
    """Rows that point at the business (or, via_case, at one of its cases) through a column; it also says whose
    each row is, so that a batch reads a table once."""

    column: str
    via_case: bool = False

    def __call__(self, table: Table, ids: list[int]) -> ColumnElement[bool]:
        if self.via_case:
            return table.c[self.column].in_(select(Case.id).where(Case.business_id.in_(ids)))
        return table.c[self.column].in_(ids)

    def business_id(self, table: Table) -> ColumnElement[int]:
        if self.via_case:
            return select(Case.business_id).where(Case.id == table.c[self.column]).scalar_subquery()
        return table.c[self.column]


def by_business(column: str) -> Link:
    return Link(column)


def by_case(column: str) -> Link:
    return Link(column, via_case=True)


@dataclass
class PrivacyRegistry:
    tables: list[PersonalTable] = field(default_factory=list)
    extra_erasers: list[Eraser] = field(default_factory=list)

    def add(self, entry: PersonalTable) -> None:
        self.tables.append(entry)
        self.tables.sort(key=lambda t: t.order)


def init_app(app: Flask) -> PrivacyRegistry:
    return app.extensions.setdefault(KEY, PrivacyRegistry())


def of(app: Flask) -> PrivacyRegistry:
    return app.extensions[KEY]


def current() -> PrivacyRegistry:
    return current_app.extensions[KEY]
