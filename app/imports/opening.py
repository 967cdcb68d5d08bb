"""The lead opens cases for a selection of businesses (a trade group in a municipality, say) in one step.

Set-based, for ten thousand businesses as for ten (app.cases.workflow.open_in_bulk): one INSERT … SELECT makes
the cases (owners dealt round robin by row_number() over the businesses' ids, or all to one scout), one more their
"opened" timeline entries, and the `cases_opened_in_bulk` hooks give them what opening one case gives (the
pipeline's cells, the first state's reminders, the funnel's rows) in the same transaction. Only businesses without
an open case are taken.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, text

from app.auth.models import Role, User
from app.cases import workflow
from app.cases.models import Business, Case
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Trade

BULK_LOCK = 712_031  # PostgreSQL advisory lock: two leads opening at once do not both open a business's case


@dataclass(frozen=True)
class Selection:
    municipality_id: int | None = None
    trade_group: str | None = None
    trade_id: int | None = None


def businesses(selection: Selection):
    """The selected businesses without an open case (a SELECT of ids)."""
    open_case = exists().where(Case.business_id == Business.id, Case._state.in_(list(workflow.OPEN_STATES)))
    query = select(Business.id).where(~open_case)
    if selection.municipality_id:
        query = query.where(Business.municipality_id == selection.municipality_id)
    if selection.trade_id:
        query = query.where(Business.trade_id == selection.trade_id)
    if selection.trade_group:
        query = query.where(Business.trade_id.in_(select(Trade.id).where(Trade.group == selection.trade_group)))
    return query


def count(selection: Selection) -> int:
    return db.session.scalar(select(func.count()).select_from(businesses(selection).subquery()))


def _scouts(owner_ids: list[int]) -> list[int]:
    found = set(db.session.scalars(select(User.id).where(User.id.in_(owner_ids), User.role == Role.SCOUT,
                                                          User.active.is_(True))))
    if not owner_ids or found != set(owner_ids):
        raise DomainError(_l("Please choose one or more active scouts."), "owners")
    return sorted(found)


def open_cases(selection: Selection, owner_ids: list[int], actor: User) -> int:
    """Open a case in "contacted" for every selected business, owners round robin; returns how many. Flushes."""
    owners = _scouts(owner_ids)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BULK_LOCK})
    return workflow.open_in_bulk(businesses(selection), owners, actor)


