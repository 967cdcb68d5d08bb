"""Read-side queries for the caseload and the case page: joins and aggregates, never a query per row."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.reference.models import Municipality, Trade


def caseload(owner_id: int | None, state: str | None, search: str, page: int, per_page: int):
    """One page of cases, soonest follow-up first (cases without one last).

    Business, trade and municipality are joined only to search; otherwise they are eager-loaded
    for the page's rows alone, which keeps the page count a cheap count over the cases index.
    """
    query = select(Case)
    if owner_id:
        query = query.where(Case.owner_id == owner_id)
    if state:
        query = query.where(Case.state == state)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = (
            query.join(Case.business).join(Business.municipality).join(Business.trade)
            .options(contains_eager(Case.business).contains_eager(Business.municipality),
                     contains_eager(Case.business).contains_eager(Business.trade))
            .where(or_(Business.name.ilike(pattern), Municipality.name.ilike(pattern), Trade.name.ilike(pattern)))
        )
    query = query.order_by(Case.next_due_at.asc().nulls_last(), Case.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def counts_by_state(owner_id: int | None) -> dict[str, int]:
    query = select(Case.state, func.count()).group_by(Case.state)
    if owner_id:
        query = query.where(Case.owner_id == owner_id)
    return dict(db.session.execute(query).all())


def timeline(case_id: int, page: int, per_page: int = 50):
    """The case's timeline, newest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(
        CaseEvent.created_at.desc(), CaseEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
