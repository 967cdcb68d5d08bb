"""The pipeline's read model: how many cases there are per owner, municipality, trade group and state.

Kept in the same transaction as the change that moves a case between cells: opening a case, a move,
a reassignment and a business edit that changes its municipality or trade group. Each change is an
atomic upsert (INSERT … ON CONFLICT DO UPDATE SET n = n + delta) on SQLite and PostgreSQL alike, so
concurrent transactions never lose a count. A cell that drops to zero stays as a row with n = 0; readers
skip those. `rebuild()` recomputes the whole table from the base tables (the CLI command
`flask procheck rebuild-read-model`, and the bulk seed, which bypasses the operations).
"""

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select

from app import upserts
from app.cases.models import Business, Case, CaseCount
from app.extensions import db
from app.reference.models import Trade

if TYPE_CHECKING:
    from app.cases.workflow import Move

Key = tuple[int, int, str, str]  # owner_id, municipality_id, trade_group, state
KEY_COLUMNS = ("owner_id", "municipality_id", "trade_group", "state")


def _upsert(deltas: Iterable[tuple[Key, int]]) -> None:
    upserts.add(CaseCount.__table__, KEY_COLUMNS,
                [dict(zip(KEY_COLUMNS, key, strict=True), n=delta) for key, delta in deltas if delta])


def _place(business_id: int) -> tuple[int, str]:
    """The business's municipality and trade group."""
    return db.session.execute(
        select(Business.municipality_id, Trade.group).join(Trade, Trade.id == Business.trade_id)
        .where(Business.id == business_id)
    ).one()


def _group(trade_id: int) -> str:
    return db.session.scalar(select(Trade.group).where(Trade.id == trade_id))


# --- the case hooks (registered in app.cases.init_app) -----------------------------------------------------------

def on_case_opened(case: Case, _entry) -> None:
    municipality_id, group = _place(case.business_id)
    _upsert([((case.owner_id, municipality_id, group, case.state), 1)])


def on_case_moved(case: Case, move: "Move", _entry) -> None:
    municipality_id, group = _place(case.business_id)
    _upsert([((case.owner_id, municipality_id, group, move.source), -1),
             ((case.owner_id, municipality_id, group, move.target), 1)])


def on_cases_reassigned(moves: list[tuple[Case, int]], new_owner_id: int) -> None:
    """Reassigned cases leave their old owner's cells for the new owner's (one query for the places)."""
    places = {row[0]: row[1:] for row in db.session.execute(
        select(Business.id, Business.municipality_id, Trade.group).join(Trade, Trade.id == Business.trade_id)
        .where(Business.id.in_({case.business_id for case, _old in moves})))}
    deltas: Counter[Key] = Counter()
    for case, old_owner_id in moves:
        municipality_id, group = places[case.business_id]
        deltas[(old_owner_id, municipality_id, group, case.state)] -= 1
        deltas[(new_owner_id, municipality_id, group, case.state)] += 1
    _upsert(deltas.items())


def on_business_moved(business: Business, old_municipality_id: int, old_trade_id: int) -> None:
    """A business edit changed its municipality or trade: its cases leave their cells for the new ones."""
    old_group, new_group = _group(old_trade_id), _group(business.trade_id)
    new_municipality_id = business.municipality_id
    if (old_municipality_id, old_group) == (new_municipality_id, new_group):
        return
    cells = db.session.execute(
        select(Case.owner_id, Case.state, func.count()).where(Case.business_id == business.id)
        .group_by(Case.owner_id, Case.state)
    ).all()
    deltas: Counter[Key] = Counter()
    for owner_id, state, count in cells:
        deltas[(owner_id, old_municipality_id, old_group, state)] -= count
        deltas[(owner_id, new_municipality_id, new_group, state)] += count
    _upsert(deltas.items())


# --- rebuilding -------------------------------------------------------------------------------------------------

def from_base_tables():
    """The counts as the base tables say (the statement the rebuild inserts from)."""
    return (
        select(Case.owner_id, Business.municipality_id, Trade.group, Case.state, func.count())
        .join(Business, Business.id == Case.business_id).join(Trade, Trade.id == Business.trade_id)
        .group_by(Case.owner_id, Business.municipality_id, Trade.group, Case.state)
    )


def rebuild() -> int:
    """Replace the read model with counts from the base tables; flushes, the caller commits. Returns the cells."""
    db.session.flush()
    db.session.execute(delete(CaseCount))
    table = CaseCount.__table__
    result = db.session.execute(insert(table).from_select(
        ["owner_id", "municipality_id", "trade_group", "state", "n"], from_base_tables()))
    return result.rowcount


def snapshot() -> dict[Key, int]:
    """The read model's non-empty cells (tests compare it with a rebuild)."""
    rows = db.session.execute(select(CaseCount.owner_id, CaseCount.municipality_id, CaseCount.trade_group,
                                     CaseCount.state, CaseCount.n).where(CaseCount.n != 0))
    return {(o, m, g, s): n for o, m, g, s, n in rows}


# --- reading ----------------------------------------------------------------------------------------------------

def _filtered(query, owner_id: int | None, state: str | None, municipality_id: int | None):
    if owner_id:
        query = query.where(CaseCount.owner_id == owner_id)
    if state:
        query = query.where(CaseCount.state == state)
    if municipality_id:
        query = query.where(CaseCount.municipality_id == municipality_id)
    return query


def counts(by, *, owner_id: int | None = None, state: str | None = None,
           municipality_id: int | None = None) -> list[tuple]:
    """Sums of n grouped by the given columns of CaseCount, filtered; empty cells are left out."""
    query = _filtered(select(*by, func.sum(CaseCount.n)).where(CaseCount.n != 0).group_by(*by),
                      owner_id, state, municipality_id)
    return [(*row[:-1], int(row[-1])) for row in db.session.execute(query).all()]


def per_state(owner_id: int | None = None, municipality_id: int | None = None) -> dict[str, int]:
    """Cases per state (only the states that have cases)."""
    return dict(counts([CaseCount.state], owner_id=owner_id, municipality_id=municipality_id))


def total(owner_id: int | None = None, state: str | None = None, municipality_id: int | None = None) -> int:
    query = _filtered(select(func.coalesce(func.sum(CaseCount.n), 0)), owner_id, state, municipality_id)
    return int(db.session.scalar(query))

