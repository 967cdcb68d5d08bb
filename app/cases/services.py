"""Operations on businesses and cases: open, save a business, note, record a milestone (and make its move),
reassign. They flush and raise DomainError; the request or unit of work commits."""

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from app.auth.models import Role, User
from app.cases import consents, registry, workflow
from app.cases.models import Business, Case, CaseEvent, refuse_anonymised
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.timeutil import utcnow

BUSINESS_FIELDS = ("name", "trade_id", "register_number", "street", "postcode", "municipality_id",
                   "contact_name", "phone", "email", "employees", "email_consent", "consent_source")


def add_event(
    case: Case, kind: EventKind, actor: User | None, text: str = "", to_state: str | None = None, **data: Any
) -> CaseEvent:
    """Append a timeline entry (actor None means the system did it)."""
    entry = CaseEvent(case_id=case.id, kind=kind, actor_id=actor.id if actor else None, text=text,
                      to_state=to_state, data=data, created_at=utcnow())
    db.session.add(entry)
    return entry


def similar_businesses(name: str, postcode: str, exclude_id: int | None = None) -> list[Business]:
    """Businesses with the same name (ignoring case and spaces) and postcode: likely duplicates (an anonymised one
    is nobody's duplicate)."""
    query = select(Business).where(
        func.lower(func.trim(Business.name)) == name.strip().lower(), Business.postcode == postcode.strip(),
        Business.anonymised_at.is_(None),
    )
    if exclude_id:
        query = query.where(Business.id != exclude_id)
    return list(db.session.scalars(query.limit(5)))


def register_twin(number: str | None, exclude_id: int | None = None) -> Business | None:
    """The business that has this Handwerksrolle number already: the number identifies a business in the chamber's
    register, so a second business with it is a duplicate (ix_businesses_register_number)."""
    if not number or not number.strip():
        return None
    query = select(Business).where(Business.register_number == number.strip(), Business.anonymised_at.is_(None))
    if exclude_id:
        query = query.where(Business.id != exclude_id)
    return db.session.scalars(query.order_by(Business.id).limit(1)).first()


def latest_case_ids(businesses: list[Business]) -> dict[int, int]:
    """Each business's latest case, to link a business by its case page (one query)."""
    rows = db.session.execute(select(Case.business_id, func.max(Case.id))
                              .where(Case.business_id.in_([b.id for b in businesses])).group_by(Case.business_id))
    return dict(rows.all())


def fill_business(business: Business, values: dict[str, Any], actor: User | None = None,
                  source: consents.Source = consents.Source.FORM) -> list[str]:
    """Copy a form's values into the business (trimmed); the names that changed.

    Giving or withdrawing email consent writes the consent record (and its time) in the same step."""
    changed = []
    had_consent = business.email_consent
    for name in BUSINESS_FIELDS:
        value = values.get(name)
        value = value.strip() if isinstance(value, str) else value
        if name == "email":
            value = (value or "").lower()
        elif name == "register_number":
            value = value or None
        if getattr(business, name) != value:
            changed.append(name)
            setattr(business, name, value)
    consents.record_email_consent(business, had_consent, actor, source)
    return changed


def case_owner(actor: User, wanted_id: int | None) -> User:
    """Who owns a new case: the chosen active scout; a scout who chose nobody (or an invalid one) keeps it."""
    owner = db.session.get(User, wanted_id) if wanted_id else None
    if owner and owner.role == Role.SCOUT and owner.takes_work:
        return owner
    if not actor.takes_work:  # being handed over: a case of theirs would outlive the account
        raise DomainError(_l("Your cases are being handed over. Please choose the scout who takes this case."),
                          "owner_id")
    return actor


def open_business_case(business: Business, owner: User, actor: User | None) -> Case:
    """Save a new business with its case, its "opened" entry and the case_opened hooks' follow-ups."""
    db.session.add(business)
    db.session.flush()
    case = Case(business_id=business.id, owner_id=owner.id)
    db.session.add(case)
    workflow.open_case(case, actor)
    return case


def latest_case(business: Business) -> Case | None:
    return db.session.scalar(select(Case).where(Case.business_id == business.id).order_by(Case.id.desc()).limit(1))


def update_business(business: Business, values: dict[str, Any], actor: User | None,
                    source: consents.Source = consents.Source.FORM) -> Case | None:
    """Save corrected business data; the changed fields are noted on its latest case's timeline.

    A new municipality, trade or number of employees (the funnel's size class) runs the business_moved hooks (the
    read models move its cases' cells). Refused for an anonymised business: the row is locked first (PostgreSQL),
    so an erasure that ran meanwhile is seen and its anonymised data is never overwritten with the form's."""
    db.session.scalars(select(Business).where(Business.id == business.id).with_for_update(of=Business)
                       .execution_options(populate_existing=True)).one()
    refuse_anonymised(business)
    old_place = (business.municipality_id, business.trade_id)
    changed = fill_business(business, values, actor, source)
    if {"municipality_id", "trade_id", "employees"} & set(changed):
        for hook in registry.current().business_moved:
            hook(business, *old_place)
    case = latest_case(business)
    if case is not None and changed:
        add_event(case, EventKind.BUSINESS_EDITED, actor, fields=changed)
    db.session.flush()
    return case


def add_note(case: Case, actor: User, text: str, channel: str) -> CaseEvent:
    entry = add_event(case, EventKind.NOTE, actor, text.strip(), channel=channel)
    db.session.flush()
    return entry


def record_milestone(case: Case, record: str, kind: EventKind, actor: User | None, text: str, move_on: bool,
                     **data: Any) -> str | None:
    """Write the timeline entry for a new record (check, attendance, referral, measure); perhaps move on.

    The move table says which state the record leads to. When move_on is set and the case can move
    there, the move happens in the same transaction. A milestone reached out of order (a referred
    business attends a workshop) is only recorded: the case never moves back. Returns why a wanted
    move did not happen.
    """
    add_event(case, kind, actor, text, **data)
    target = workflow.MILESTONE_FOR[record].target
    if not (move_on and actor is not None and case.state != target):
        return None  # the entry goes with the caller's next flush (a check-in's list in one)
    db.session.flush()
    chosen = workflow.find_move(case.state, target)
    problem = workflow.refusal(case, actor, chosen) if chosen else None
    if chosen and problem is None:
        workflow.move(case, target, actor)
    return problem


def can_offer(case: Case, user: User, record: str) -> bool:
    """Whether a record form should offer the move its record leads to (the guard is checked after saving)."""
    chosen = workflow.find_move(case.state, workflow.MILESTONE_FOR[record].target)
    return chosen is not None and chosen.kind == "forward" and workflow.may_make(chosen, case, user)


def reassign(cases: list[Case], new_owner: User, actor: User) -> int:
    """Give cases to another scout, with a timeline entry on each; the case_reassigned hooks move what
    belongs to the owner (open reminders, the read models' cells) for all of them at once."""
    moves = []
    for case in cases:
        old_owner_id = case.owner_id
        if old_owner_id == new_owner.id:
            continue
        add_event(case, EventKind.REASSIGNED, actor, from_owner=old_owner_id, to_owner=new_owner.id)
        case.owner_id = new_owner.id
        moves.append((case, old_owner_id))
    if moves:
        for hook in registry.current().case_reassigned:
            hook(moves, new_owner.id)
    db.session.flush()
    return len(moves)


class _Moved(NamedTuple):
    """What the case_reassigned hooks read of a case moved in bulk (no ORM object is loaded)."""

    id: int
    business_id: int
    state: str


def reassign_in_bulk(case_ids: list[int], new_owner: User, actor: User) -> int:
    """`reassign` for a batch of case ids, set-based: the rows locked, one UPDATE (the version goes up, so a
    concurrent edit of one of them fails as a conflict), one INSERT of the timeline entries, the hooks once."""
    rows = db.session.execute(select(Case.id, Case.business_id, Case.state, Case.owner_id)
                              .where(Case.id.in_(case_ids), Case.owner_id != new_owner.id)
                              .order_by(Case.id).with_for_update()).all()
    if not rows:
        return 0
    now = utcnow()
    db.session.execute(update(Case).where(Case.id.in_([row.id for row in rows]))
                       .values(owner_id=new_owner.id, version=Case.version + 1, last_activity_at=now)
                       .execution_options(synchronize_session=False))
    db.session.execute(insert(CaseEvent), [
        {"case_id": row.id, "kind": EventKind.REASSIGNED.value, "actor_id": actor.id, "text": "", "created_at": now,
         "data": {"from_owner": row.owner_id, "to_owner": new_owner.id}} for row in rows])
    moves = [(_Moved(row.id, row.business_id, row.state), row.owner_id) for row in rows]
    for hook in registry.current().case_reassigned:
        hook(moves, new_owner.id)
    return len(rows)
