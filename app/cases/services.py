"""Operations on businesses and cases: open, edit, note, record a milestone (and offer its move)."""

from typing import Any

from sqlalchemy import func, select

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.timeutil import utcnow

NOTE_CHANNELS = ("call", "visit", "email", "other")


def add_event(
    case: Case, kind: str, actor: User | None, text: str = "", to_state: str | None = None, **data: Any
) -> CaseEvent:
    """Append a timeline entry (actor None means the system did it)."""
    entry = CaseEvent(case_id=case.id, kind=kind, actor_id=actor.id if actor else None, text=text,
                      to_state=to_state, data=data, created_at=utcnow())
    db.session.add(entry)
    return entry


def similar_businesses(name: str, postcode: str, exclude_id: int | None = None) -> list[Business]:
    """Businesses with the same name (ignoring case and spaces) and postcode: likely duplicates."""
    query = select(Business).where(
        func.lower(func.trim(Business.name)) == name.strip().lower(), Business.postcode == postcode.strip()
    )
    if exclude_id:
        query = query.where(Business.id != exclude_id)
    return list(db.session.scalars(query.limit(5)))


def open_business_case(business: Business, owner: User, actor: User) -> Case:
    """Save a new business with its case and the first timeline entry; one commit."""
    db.session.add(business)
    db.session.flush()
    case = workflow.open_case(Case(business_id=business.id, owner_id=owner.id))
    db.session.add(case)
    db.session.flush()
    opened = add_event(case, "opened", actor, to_state=case.state)
    db.session.flush()
    workflow.record_opening(case, opened)
    db.session.commit()
    return case


def update_business(business: Business, case: Case | None, actor: User, changed: list[str]) -> None:
    if case is not None and changed:
        add_event(case, "business_edited", actor, fields=changed)
    db.session.commit()


def add_note(case: Case, actor: User, text: str, channel: str) -> CaseEvent:
    entry = add_event(case, "note", actor, text.strip(), channel=channel)
    db.session.commit()
    return entry


def record_milestone(case: Case, kind: str, actor: User, text: str, target: str, move_on: bool,
                     **data: Any) -> str | None:
    """Write the timeline entry for a new record (check, attendance, referral, measure).

    When move_on is set and the case can move to target, the move happens in the same
    transaction. A milestone reached out of order (a referred business attends a workshop) is
    only recorded: the case never moves back. Returns why the move did not happen, if asked for.
    Commits.
    """
    add_event(case, kind, actor, text, **data)
    db.session.flush()
    problem = None
    if move_on and case.state != target:
        chosen = workflow.find_move(case.state, target)
        problem = workflow.refusal(case, actor, chosen) if chosen else None
        if chosen and problem is None:
            workflow.move(case, target, actor)
    db.session.commit()
    return problem


def can_offer(case: Case, user: User, target: str) -> bool:
    """Whether a record form should offer the move to target (the guard is checked after saving)."""
    chosen = workflow.find_move(case.state, target)
    return chosen is not None and chosen.kind == "forward" and workflow.may_make(chosen, case, user)


def reassign(cases: list[Case], new_owner: User, actor: User) -> int:
    """Give cases to another scout, with a timeline entry on each; one commit."""
    moved = 0
    for case in cases:
        if case.owner_id == new_owner.id:
            continue
        add_event(case, "reassigned", actor, from_owner=case.owner_id, to_owner=new_owner.id)
        case.owner_id = new_owner.id
        moved += 1
    db.session.commit()
    return moved
