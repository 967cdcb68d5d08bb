"""Registering for a workshop: a place while one is free, else the waiting list; moving up when a place frees.

Places are counted in Workshop.places_taken and taken only by one guarded UPDATE (… WHERE places_taken <
capacity): PostgreSQL re-checks the condition after waiting for a concurrent registration's row lock, and
SQLite runs one writer at a time, so simultaneous registrations never overbook. Each change writes a
timeline entry and queues the business's mail (confirmation with the calendar entry, waiting list,
cancellation with the calendar cancellation, reminder two working days before).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import add_event
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.scheduling import outbox
from app.scheduling.calendar import business_days_before
from app.scheduling.consent import refusal
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from app.workshops import ics
from app.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopStatus

REMINDER_BUSINESS_DAYS = 2
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)
STATUS_TEXT = {
    RegistrationStatus.REGISTERED: _l("Registered for the workshop “%(title)s”."),
    RegistrationStatus.WAITLISTED: _l("On the waiting list of the workshop “%(title)s”."),
    RegistrationStatus.CANCELLED: _l("Registration for the workshop “%(title)s” cancelled."),
}


def registration_refusal(workshop: Workshop) -> str | None:
    """Why nobody can register for the workshop now (German), or None."""
    now = utcnow()
    if workshop.status == WorkshopStatus.CANCELLED:
        return _("This workshop has been cancelled.")
    if workshop.status == WorkshopStatus.HELD or workshop.starts_at <= now:
        return _("This workshop has already taken place.")
    if workshop.status == WorkshopStatus.PLANNED:
        return _("Registration for this workshop is not open yet.")
    if workshop.registration_deadline is not None and now > workshop.registration_deadline:
        return _("The registration deadline for this workshop has passed.")
    return None


def find(workshop_id: int, case_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.workshop_id == workshop_id,
                                                        Registration.case_id == case_id))


def claim_place(workshop: Workshop, *, over_capacity: bool = False, places: int = 1) -> bool:
    """Take one place with a guarded UPDATE; False when none is free. Walk-ins (over_capacity) are counted anyway,
    several at once if need be (the check-in's list)."""
    if places != 1 and not over_capacity:
        raise ValueError("only walk-ins are counted several at once")
    taken = Workshop.places_taken + places
    statement = update(Workshop).where(Workshop.id == workshop.id)
    if not over_capacity:
        statement = statement.where(Workshop.places_taken < Workshop.capacity,
                                    Workshop.status.in_((WorkshopStatus.OPEN, WorkshopStatus.FULL)))
    result = db.session.execute(statement.values(
        places_taken=taken,
        status=case((Workshop.status.in_((WorkshopStatus.OPEN, WorkshopStatus.FULL)),
                     case((taken >= Workshop.capacity, WorkshopStatus.FULL.value), else_=WorkshopStatus.OPEN.value)),
                    else_=Workshop.status),
    ).execution_options(synchronize_session=False))
    db.session.expire(workshop, ["places_taken", "status"])
    return result.rowcount == 1


def _free_place(workshop: Workshop) -> None:
    db.session.execute(update(Workshop).where(Workshop.id == workshop.id, Workshop.places_taken > 0).values(
        places_taken=Workshop.places_taken - 1,
        status=case((Workshop.status == WorkshopStatus.FULL, WorkshopStatus.OPEN.value), else_=Workshop.status),
    ).execution_options(synchronize_session=False))
    db.session.expire(workshop, ["places_taken", "status"])


def _timeline(case_: Case, registration: Registration, actor: User | None, text: str | None = None) -> None:
    workshop = registration.workshop
    add_event(case_, EventKind.WORKSHOP_REGISTRATION, actor,
              text or str(STATUS_TEXT[registration.status]) % {"title": workshop.title},
              workshop_id=workshop.id, registration_id=registration.id, status=registration.status)


def _mail_key(template_key: str, registration: Registration) -> str:
    return f"{template_key}:{registration.id}:{registration.sequence}:{registration.workshop.sequence}"


def queue_mail(case_: Case, registration: Registration, template_key: str, method: str | None = None,
               due_at=None, unique_key: str | None = None) -> OutboxMessage | None:
    """Queue one of the registration's mails; without consent none is planned (as for every business mail)."""
    business = case_.business
    if refusal(business):
        return None
    context = {"case_id": case_.id, "registration_id": registration.id}
    if method:
        context.update(method=method, sequence=registration.sequence + registration.workshop.sequence)
    return outbox.queue(recipient=business.email or "", audience="business", template_key=template_key,
                        due_at=due_at or utcnow(), unique_key=unique_key or _mail_key(template_key, registration),
                        case_id=case_.id, context=context)


def _reminder_key(registration: Registration) -> str:
    return f"workshop_reminder:{registration.id}"


def schedule_reminder(case_: Case, registration: Registration) -> None:
    """The reminder two working days before (moved when the workshop moves; none when that day has passed)."""
    due = business_days_before(registration.workshop.starts_at, REMINDER_BUSINESS_DAYS)
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.unique_key == _reminder_key(registration)))
    if due <= utcnow():
        if row is not None and row.status == "pending":
            outbox.cancel(row, "the reminder's day has passed")
        return
    if row is not None and row.status == "pending":
        row.due_at = due
        return
    queue_mail(case_, registration, "workshop_reminder", due_at=due, unique_key=_reminder_key(registration))


def _cancel_reminder(registration: Registration, reason: str) -> None:
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.unique_key == _reminder_key(registration)))
    if row is not None and row.status == "pending":
        outbox.cancel(row, reason)


def _confirm(case_: Case, registration: Registration) -> None:
    queue_mail(case_, registration, "workshop_confirmation", ics.REQUEST)
    schedule_reminder(case_, registration)


def register(case_: Case, workshop: Workshop, actor: User | None = None) -> Registration:
    """Register the business (a place, or the waiting list); registering again changes nothing."""
    if problem := registration_refusal(workshop):
        raise DomainError(problem)
    registration = find(workshop.id, case_.id)
    if registration is not None and registration.status != RegistrationStatus.CANCELLED:
        return registration
    status = RegistrationStatus.REGISTERED if claim_place(workshop) else RegistrationStatus.WAITLISTED
    if registration is None:
        registration = Registration(workshop_id=workshop.id, case_id=case_.id, sequence=0)
        db.session.add(registration)
    else:
        registration.sequence += 1
    registration.status, registration.queued_at = status, utcnow()
    try:
        db.session.flush()
    except IntegrityError as error:  # the same business registered through a second link a moment ago
        raise DomainError(_l("This business is already registered for the workshop.")) from error
    _timeline(case_, registration, actor)
    if status == RegistrationStatus.REGISTERED:
        _confirm(case_, registration)
    else:
        queue_mail(case_, registration, "workshop_waitlisted")
    return registration


def move_up(workshop: Workshop) -> Registration | None:
    """Give a free place to the first on the waiting list (with its confirmation mail)."""
    waiting = db.session.scalars(
        select(Registration.id).where(Registration.workshop_id == workshop.id,
                                      Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id).limit(5)).all()
    for registration_id in waiting:
        # Guarded: a concurrent cancellation may have moved this one up already.
        moved = db.session.execute(
            update(Registration).where(Registration.id == registration_id,
                                       Registration.status == RegistrationStatus.WAITLISTED)
            .values(status=RegistrationStatus.REGISTERED, sequence=Registration.sequence + 1)
            .execution_options(synchronize_session=False)).rowcount == 1
        if not moved:
            continue
        if not claim_place(workshop):  # no place after all: stays on the list
            db.session.execute(update(Registration).where(Registration.id == registration_id)
                               .values(status=RegistrationStatus.WAITLISTED, sequence=Registration.sequence - 1)
                               .execution_options(synchronize_session=False))
            return None
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        case_ = db.session.get(Case, registration.case_id)
        _timeline(case_, registration, None, _("Moved up from the waiting list of the workshop “%(title)s”.",
                                               title=workshop.title))
        _confirm(case_, registration)
        return registration
    return None


def cancel(registration: Registration, actor: User | None = None) -> Registration | None:
    """Withdraw a registration or a place on the waiting list; a freed place goes to the next on the list.
    Returns the registration that moved up, if any."""
    if registration.status not in ACTIVE:
        raise DomainError(_l("This registration cannot be cancelled any more."))
    held_place = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.sequence += 1
    db.session.flush()
    case_ = db.session.get(Case, registration.case_id)
    _timeline(case_, registration, actor)
    _cancel_reminder(registration, "the registration was cancelled")
    if not held_place:
        return None
    queue_mail(case_, registration, "workshop_cancelled", ics.CANCEL)
    workshop = registration.workshop
    _free_place(workshop)
    return move_up(workshop) if workshop.starts_at > utcnow() else None


def cancel_workshop(workshop: Workshop, actor: User | None) -> int:
    """The workshop is cancelled: every active registration too, the registered get the calendar cancellation."""
    registrations = db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.status.in_(ACTIVE))).all()
    for registration in registrations:
        held_place = registration.status == RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        registration.sequence += 1
        case_ = db.session.get(Case, registration.case_id)
        _timeline(case_, registration, actor, _("The workshop “%(title)s” was cancelled.", title=workshop.title))
        _cancel_reminder(registration, "the workshop was cancelled")
        if held_place:
            queue_mail(case_, registration, "workshop_cancelled", ics.CANCEL)
    workshop.places_taken = 0
    return len(registrations)


def workshop_moved(workshop: Workshop) -> None:
    """Time or place changed: the registered get the updated calendar entry (higher SEQUENCE)."""
    workshop.sequence += 1
    registrations = db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.status == RegistrationStatus.REGISTERED)).all()
    for registration in registrations:
        case_ = db.session.get(Case, registration.case_id)
        _confirm(case_, registration)
