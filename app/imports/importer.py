"""The import engine: rows in batches, each classified as create, update, unchanged or skip, and (unless a dry
run) written with one executemany INSERT and one executemany UPDATE per batch.

A row is matched to a business of the database by its Handwerksrolle number, else by name and postcode (a
business without a number). A match with the same data is "unchanged", so importing the same file again changes
nothing; a match with other data is updated only when asked (`update`), else skipped with the reason. Empty cells
never blank a value the business has (a scout may have added a phone number). A business is never given a case or
e-mail consent by the import: the lead opens cases for a selection (app.imports.opening).

The engine flushes; its caller commits after each batch (the web run and the command line), so the progress is
visible and memory stays flat. The search index follows by itself (SQLite: the FTS triggers; PostgreSQL: pg_trgm).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, text, update

from app.cases import registry
from app.cases.models import Business, Case, CaseEvent
from app.cases.vocab import EventKind
from app.extensions import db
from app.imports import reading
from app.imports.rows import Checked, Reference, check, name_key
from app.reference.models import Postcode, Trade
from app.timeutil import utcnow

BATCH = 1000
IMPORT_LOCK = 712_032  # PostgreSQL's advisory lock for a batch (see _lock_batch)
# The business columns an import fills, in the UPDATE's order (register_number is only ever filled, not cleared).
COLUMNS = ("register_number", "name", "trade_id", "street", "postcode", "municipality_id", "contact_name", "phone",
           "email", "employees")
PLACE = ("municipality_id", "trade_id", "employees")  # a change moves the business's cases in the read models
_table = Business.__table__


@dataclass
class Outcome:
    line: int
    action: str  # create, update, unchanged, skip
    values: dict[str, Any]
    problem: str | None = None
    business_id: int | None = None


@dataclass
class Totals:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def add(self, outcome: Outcome) -> None:
        self.processed += 1
        name = {"create": "created", "update": "updated", "unchanged": "unchanged", "skip": "skipped"}
        setattr(self, name[outcome.action], getattr(self, name[outcome.action]) + 1)


@dataclass
class Batch:
    outcomes: list[Outcome]
    totals: Totals


@dataclass
class _Seen:
    """What earlier rows of the file had: a later row with the same number or name and postcode is a duplicate."""

    numbers: set[str] = field(default_factory=set)
    names: set[tuple[str, str]] = field(default_factory=set)

    def duplicate(self, values: dict[str, Any]) -> str | None:
        number, key = values["register_number"], name_key(values["name"], values["postcode"])
        if number:
            if number in self.numbers:
                return "duplicate_register_number"
            self.numbers.add(number)
        elif key in self.names:
            return "duplicate_name_postcode"
        self.names.add(key)
        return None


def reference() -> Reference:
    trades = db.session.execute(select(Trade.id, Trade.name, Trade.number)).all()
    postcodes = db.session.execute(select(Postcode.code, Postcode.municipality_id))
    return Reference(
        municipality_of={code: town for code, town in postcodes},
        trade_by_name={name.casefold(): id_ for id_, name, _n in trades},
        trade_by_number={str(number): id_ for id_, _name, number in trades if number is not None},
        register_pattern=current_app.config["REGISTER_NUMBER_PATTERN"],
    )


def _existing(rows: list[Checked]) -> tuple[dict[str, dict], dict[tuple[str, str], dict]]:
    """The batch's businesses already in the database, by register number and by exact name and postcode."""
    numbers = sorted({r.values["register_number"] for r in rows if r.values["register_number"]})
    pairs = {(r.values["name"], r.values["postcode"]) for r in rows}
    columns = [_table.c.id, *(_table.c[name] for name in COLUMNS)]
    # Two queries, each an index search on SQLite and PostgreSQL (an OR of both, or a row-value IN, scans the
    # table on SQLite); by name the postcode is compared here. An anonymised business is never matched (its number
    # and name are gone anyway): the file's data must not flow back into it.
    live = _table.c.anonymised_at.is_(None)
    by_number = {row["register_number"]: dict(row) for row in db.session.execute(
        select(*columns).where(_table.c.register_number.in_(numbers), live).order_by(_table.c.id.desc())).mappings()}
    by_name = {(row["name"], row["postcode"]): dict(row) for row in db.session.execute(
        select(*columns).where(_table.c.name.in_(sorted({name for name, _p in pairs})), live)
        .order_by(_table.c.id.desc())).mappings() if (row["name"], row["postcode"]) in pairs}
    return by_number, by_name


def _decide(row: Checked, match: dict | None, update_existing: bool) -> Outcome:
    if match is None:
        return Outcome(row.line, "create", row.values)
    merged = {name: match[name] if row.values.get(name) is None else row.values[name] for name in COLUMNS}
    if all(merged[name] == match[name] for name in COLUMNS):
        return Outcome(row.line, "unchanged", row.values, business_id=match["id"])
    if not update_existing:
        return Outcome(row.line, "skip", row.values, "exists_differs", match["id"])
    return Outcome(row.line, "update", merged, business_id=match["id"])


def classify(rows: list[Checked], seen: _Seen, update_existing: bool) -> list[Outcome]:
    """Each row's outcome: its problem, a duplicate of an earlier row, or what the database's match makes of it."""
    for row in rows:
        if row.problem is None:
            row.problem = seen.duplicate(row.values)
    valid = [row for row in rows if row.problem is None]
    by_number, by_name = _existing(valid) if valid else ({}, {})
    outcomes = []
    for row in rows:
        if row.problem:
            outcomes.append(Outcome(row.line, "skip", row.values, row.problem))
            continue
        number, pair = row.values["register_number"], (row.values["name"], row.values["postcode"])
        match = by_number.get(number) if number else None
        if match is None:
            candidate = by_name.get(pair)
            # By name and postcode only a business without a number, or with this number (found above).
            if candidate is not None and not (number and candidate["register_number"]):
                match = candidate
        outcomes.append(_decide(row, match, update_existing))
    return outcomes


def _write(outcomes: list[Outcome]) -> None:
    now = utcnow()
    created = [{**{name: o.values.get(name) for name in COLUMNS}, "street": o.values.get("street") or "",
                "contact_name": o.values.get("contact_name") or "", "phone": o.values.get("phone") or "",
                "email": o.values.get("email") or "", "email_consent": False, "consent_source": "",
                "created_at": now} for o in outcomes if o.action == "create"]
    if created:
        db.session.execute(insert(_table), created)
    changed = [o for o in outcomes if o.action == "update"]
    if changed:
        _update(changed)


def _update(changed: list[Outcome]) -> None:
    """A business without a case: one executemany UPDATE for all. A business with a case (few): through the ORM,
    so that every read model sees the change (the flush's listeners, the business_moved hooks when its town,
    trade or size changed), with a "business data changed" entry on its latest case."""
    ids = [o.business_id for o in changed]
    latest = {business: case for business, case in db.session.execute(
        select(Case.business_id, func.max(Case.id)).where(Case.business_id.in_(ids)).group_by(Case.business_id))}
    plain = [o for o in changed if o.business_id not in latest]
    if plain:
        # Not into a business anonymised meanwhile (the retention job erases businesses without a case).
        statement = (update(_table).where(_table.c.id == bindparam("b_id"), _table.c.anonymised_at.is_(None))
                     .values({name: bindparam(f"v_{name}") for name in COLUMNS}))
        db.session.execute(statement, [{"b_id": o.business_id, **{f"v_{n}": o.values[n] for n in COLUMNS}}
                                       for o in plain], execution_options={"synchronize_session": False})
    hooks, now = registry.current().business_moved, utcnow()
    for outcome in (o for o in changed if o.business_id in latest):
        business = db.session.get(Business, outcome.business_id)
        if business.anonymised_at is not None:
            continue
        old_place = (business.municipality_id, business.trade_id)
        fields = [name for name in COLUMNS if outcome.values[name] != getattr(business, name)]
        for name in fields:
            setattr(business, name, outcome.values[name])
        db.session.add(CaseEvent(case_id=latest[outcome.business_id], kind=EventKind.BUSINESS_EDITED, actor_id=None,
                                 text="", data={"fields": fields, "source": "import"}, created_at=now))
        db.session.flush()
        if set(fields) & set(PLACE):
            for hook in hooks:
                hook(business, *old_place)


def run(path: Path, mapping: dict[str, int], *, update_existing: bool, apply: bool,
        batch_size: int = BATCH) -> Iterator[Batch]:
    """Import (or, when not `apply`, only classify) the file's rows; yields after each batch was flushed."""
    ref, seen, totals = reference(), _Seen(), Totals()
    with reading.rows(path) as found:
        next(found, None)  # the header row
        line, pending = 1, []
        for cells in found:
            line += 1
            pending.append(check(line, cells, mapping, ref))
            if len(pending) == batch_size:
                yield _batch(pending, seen, totals, update_existing, apply)
                pending = []
        if pending:
            yield _batch(pending, seen, totals, update_existing, apply)


def _lock_batch() -> None:
    """Hold the write lock from the batch's lookup to its commit, so that two imports running at once see each
    other's businesses instead of both creating them. PostgreSQL: a transaction-level advisory lock. SQLite: a
    write statement first (it takes the database's write lock; pysqlite would run the lookup outside the
    transaction and let another import commit between the lookup and the INSERT)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    else:
        db.session.execute(text("UPDATE import_mappings SET id = id WHERE id < 0"))


def _batch(rows: list[Checked], seen: _Seen, totals: Totals, update_existing: bool, apply: bool) -> Batch:
    if apply:
        _lock_batch()
    outcomes = classify(rows, seen, update_existing)
    if apply:
        _write(outcomes)
        db.session.flush()
    for outcome in outcomes:
        totals.add(outcome)
    return Batch(outcomes, totals)


def count_rows(path: Path) -> int:
    """The data rows (without the header), for the progress bar."""
    with reading.rows(path) as found:
        return max(sum(1 for _row in found) - 1, 0)

