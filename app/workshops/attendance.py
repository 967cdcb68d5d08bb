"""Recording who attended a workshop (one by one on the case, or all at once at the check-in) and withdrawing
an attendance recorded by mistake. Attendance is recorded only from the workshop's day on (Berlin), and a
case moves to "workshop attended" only forward (app.cases.services.record_milestone)."""

from dataclasses import dataclass, field

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import add_event, record_milestone
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.timeutil import BERLIN, today_berlin, utcnow
from app.workshops import registrations
from app.workshops.models import HOLDS_PLACE, Attendance, Registration, RegistrationStatus, Workshop, WorkshopStatus

REASON_MAX = 500


class AlreadyAttended(DomainError):
    """The unique constraint (workshop, case) would be broken."""

    def __init__(self) -> None:
        super().__init__(_l("This attendance is already recorded for this business."), "workshop_id")


def attendance_refusal(workshop: Workshop) -> str | None:
    """Why no attendance can be recorded for the workshop today (German), or None."""
    if workshop.status == WorkshopStatus.CANCELLED:
        return _("This workshop has been cancelled.")
    if workshop.starts_at.astimezone(BERLIN).date() > today_berlin():
        return _("Attendance can be recorded only on or after the day of the workshop (%(date)s).",
                 date=format_datetime(workshop.starts_at, "dd.MM.yyyy"))
    return None


def _mark_attended(workshop: Workshop, case: Case, attendance: Attendance | None, registration: Registration | None,
                   actor: User) -> tuple[Attendance, bool]:
    """The attendance (new, or a withdrawn one recorded again) and the registration saying "attended"; a walk-in
    gets one. Reads nothing: the caller found both rows. Returns the attendance and whether the business needs a
    place counted (beyond the capacity, if need be)."""
    if attendance is None:
        attendance = Attendance(workshop_id=workshop.id, case_id=case.id)
        db.session.add(attendance)
    attendance.recorded_by_id, attendance.recorded_at = actor.id, utcnow()
    attendance.withdrawn_at, attendance.withdrawn_by_id, attendance.withdrawn_reason = None, None, ""
    needs_place = registration is None or registration.status not in HOLDS_PLACE
    if registration is None:
        registration = Registration(workshop_id=workshop.id, case_id=case.id, status=RegistrationStatus.ATTENDED,
                                    sequence=0, queued_at=utcnow())
        db.session.add(registration)
    registration.status = RegistrationStatus.ATTENDED
    return attendance, needs_place


def _flush_attended() -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:  # recorded by someone else a moment ago
        raise AlreadyAttended() from exc


def _milestone(case: Case, workshop: Workshop, attendance: Attendance, actor: User, move_on: bool) -> str | None:
    """The timeline entry of a flushed attendance; perhaps the move. Returns why a wanted move did not happen."""
    text = _("Attended the workshop “%(title)s” on %(date)s.", title=workshop.title,
             date=format_datetime(workshop.starts_at, "dd.MM.yyyy"))
    return record_milestone(case, "attendance", EventKind.WORKSHOP_ATTENDED, actor, text, move_on,
                            attendance_id=attendance.id, workshop_id=workshop.id)


def record_attendance(case: Case, workshop: Workshop, actor: User, move_on: bool) -> str | None:
    """Record that the business attended; perhaps move the case. Returns why a wanted move did not happen."""
    if problem := attendance_refusal(workshop):
        raise DomainError(problem, "workshop_id")
    attendance = db.session.scalar(select(Attendance).where(Attendance.case_id == case.id,
                                                            Attendance.workshop_id == workshop.id))
    if attendance is not None and attendance.withdrawn_at is None:
        raise AlreadyAttended()
    attendance, needs_place = _mark_attended(workshop, case, attendance, registrations.find(workshop.id, case.id),
                                             actor)
    _flush_attended()
    if needs_place:
        registrations.claim_place(workshop, over_capacity=True)
    return _milestone(case, workshop, attendance, actor, move_on)


@dataclass
class CheckInResult:
    attended: int = 0
    no_show: int = 0
    moved: int = 0
    not_moved: list[tuple[str, str]] = field(default_factory=list)  # (business, why)


def check_in(workshop: Workshop, marks: dict[int, str], actor: User, move_on: bool) -> CheckInResult:
    """Save the check-in list: case id -> "attended" or "no_show" (walk-ins are cases without a registration).

    All or nothing: a refusal (too early, already recorded) raises before the request commits anything. The cases,
    attendances and registrations of the list are read in one query each, the new rows written in one flush; only
    a case that moves on reads more (the state machine's guard and hooks, per moved case).
    """
    if problem := attendance_refusal(workshop):
        raise DomainError(problem)
    case_ids = list(marks)
    cases = {case.id: case for case in db.session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    if len(cases) != len(marks):
        raise DomainError(_l("A business of the list no longer exists. Please reload the page."))
    attendances = {row.case_id: row for row in db.session.scalars(select(Attendance).where(
        Attendance.workshop_id == workshop.id, Attendance.case_id.in_(case_ids)))}
    registered = {row.case_id: row for row in db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.case_id.in_(case_ids)))}
    result = CheckInResult()
    arrived, places = [], 0
    for case_id, mark in marks.items():
        attendance, registration = attendances.get(case_id), registered.get(case_id)
        if mark == RegistrationStatus.ATTENDED:
            if attendance is not None and attendance.withdrawn_at is None:
                continue  # recorded already (the list was saved before)
            attendance, needs_place = _mark_attended(workshop, cases[case_id], attendance, registration, actor)
            places += needs_place
            arrived.append((cases[case_id], attendance))
        elif registration is not None and registration.status == RegistrationStatus.REGISTERED:
            registration.status = RegistrationStatus.NO_SHOW
            result.no_show += 1
    _flush_attended()  # one flush for all rows: the timeline entries need the attendances' ids
    if places:
        registrations.claim_place(workshop, over_capacity=True, places=places)
    for case, attendance in arrived:
        problem = _milestone(case, workshop, attendance, actor, move_on)
        result.attended += 1
        if move_on and problem is None and case.state == "workshop_attended":
            result.moved += 1
        elif move_on and problem:
            result.not_moved.append((case.business.name, problem))
    if workshop.status != WorkshopStatus.CANCELLED:
        workshop.status = WorkshopStatus.HELD
    db.session.flush()
    return result


def check_in_registered(workshop: Workshop, marks: dict[int, str], shown: set[int], actor: User,
                        move_on: bool) -> CheckInResult:
    """The check-in in one step: every registered business the page showed (`shown`) and not yet recorded counts
    as attended, unless the list marks it otherwise (waitlisted and cancelled ones stay as they are). Same rules
    as check_in."""
    if problem := attendance_refusal(workshop):
        raise DomainError(problem)
    registered = db.session.scalars(select(Registration.case_id).where(
        Registration.workshop_id == workshop.id, Registration.status == RegistrationStatus.REGISTERED,
        Registration.case_id.in_(shown))).all()
    if not registered:
        raise DomainError(_l("All registered businesses are recorded already."))
    return check_in(workshop, dict.fromkeys(registered, RegistrationStatus.ATTENDED.value) | marks, actor, move_on)


def withdraw(attendance: Attendance, actor: User, reason: str) -> None:
    """An attendance recorded by mistake: marked withdrawn with the reason (kept, and on the timeline)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Please give a reason."), "reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_l("The reason is too long (at most 500 characters)."), "reason")
    if attendance.withdrawn_at is not None:
        raise DomainError(_l("This attendance has already been withdrawn."))
    attendance.withdrawn_at, attendance.withdrawn_by_id, attendance.withdrawn_reason = utcnow(), actor.id, reason
    registration = registrations.find(attendance.workshop_id, attendance.case_id)
    if registration is not None and registration.status == RegistrationStatus.ATTENDED:
        registration.status = RegistrationStatus.NO_SHOW
    case = db.session.get(Case, attendance.case_id)
    add_event(case, EventKind.ATTENDANCE_WITHDRAWN, actor,
              _("Attendance at the workshop “%(title)s” withdrawn: %(reason)s", title=attendance.workshop.title,
                reason=reason), attendance_id=attendance.id, workshop_id=attendance.workshop_id)
    db.session.flush()
