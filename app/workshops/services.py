"""Workshops, their attendance lists, and recording that a business attended one."""

from datetime import UTC, datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Select, case, exists, func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.cases.models import Business, Case
from app.cases.services import record_milestone
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality, Topic
from app.timeutil import BERLIN, utcnow
from app.workshops.models import Attendance, Workshop

RECENT_DAYS = 180  # attendance is recorded for workshops of the last half year or upcoming ones


class AlreadyAttended(DomainError):
    """The unique constraint (workshop, case) would be broken."""

    def __init__(self) -> None:
        super().__init__(_l("This attendance is already recorded for this business."), "workshop_id")


def berlin_to_utc(local: datetime) -> datetime:
    """A wall-clock time typed in Germany (datetime-local input) as aware UTC."""
    return local.replace(tzinfo=BERLIN).astimezone(UTC)


def utc_to_berlin(moment: datetime) -> datetime:
    """An aware UTC time as naive Berlin wall-clock time for a datetime-local input."""
    return moment.astimezone(BERLIN).replace(tzinfo=None)


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.name)))


def listing() -> Select:
    """Upcoming workshops first (soonest first), then past ones (latest first)."""
    upcoming = Workshop.starts_at >= utcnow()
    return select(Workshop).order_by(
        case((upcoming, 0), else_=1), case((upcoming, Workshop.starts_at), else_=None).asc(),
        Workshop.starts_at.desc(), Workshop.id,
    )


def attendance_counts(workshop_ids: list[int]) -> dict[int, int]:
    """How many businesses attended each of these workshops (one grouped query for a page)."""
    if not workshop_ids:
        return {}
    rows = db.session.execute(select(Attendance.workshop_id, func.count(Attendance.id))
                              .where(Attendance.workshop_id.in_(workshop_ids)).group_by(Attendance.workshop_id))
    return dict(rows.all())


def save_workshop(workshop: Workshop, title: str, topic_id: int, starts_at_local: datetime, place: str,
                  description: str) -> Workshop:
    """Create or update a workshop from the form's values."""
    workshop.title = title.strip()
    workshop.topic_id = topic_id
    workshop.starts_at = berlin_to_utc(starts_at_local)
    workshop.place = place.strip()
    workshop.description = (description or "").strip()
    db.session.add(workshop)
    db.session.flush()
    return workshop


def attendance_list(workshop_id: int) -> list[Row]:
    """Who attended: business, its case, municipality, recorded when and by whom (one query)."""
    return list(db.session.execute(
        select(Attendance.recorded_at, Case.id.label("case_id"), Business.name.label("business"),
               Municipality.name.label("municipality"), User.name.label("recorded_by"))
        .join(Case, Case.id == Attendance.case_id)
        .join(Business, Business.id == Case.business_id)
        .join(Municipality, Municipality.id == Business.municipality_id)
        .outerjoin(User, User.id == Attendance.recorded_by_id)
        .where(Attendance.workshop_id == workshop_id)
        .order_by(Business.name, Case.id)
    ))


def attendance_choices() -> list[Workshop]:
    """Workshops of the last 180 days and upcoming ones, newest first."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return list(db.session.scalars(
        select(Workshop).where(Workshop.starts_at >= since).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    ))


def upcoming_on_topics(topic_ids: list[int], limit: int) -> list[Workshop]:
    """Upcoming workshops on these topics, soonest first."""
    if not topic_ids:
        return []
    return list(db.session.scalars(
        select(Workshop).where(Workshop.topic_id.in_(topic_ids), Workshop.starts_at >= utcnow())
        .order_by(Workshop.starts_at, Workshop.id).limit(limit)))


def has_attendance(case: Case) -> bool:
    """The guard of the move to "workshop attended"."""
    return db.session.scalar(select(exists().where(Attendance.case_id == case.id)))


def attendances_for_case(case_id: int) -> list[Attendance]:
    """The workshops the case's business attended, latest workshop first (one query)."""
    return list(db.session.scalars(
        select(Attendance).join(Attendance.workshop).where(Attendance.case_id == case_id)
        .order_by(Workshop.starts_at.desc(), Attendance.id.desc())
    ))


def record_attendance(case: Case, workshop: Workshop, actor: User, move_on: bool) -> str | None:
    """Record that the business attended; perhaps move the case. Returns why a wanted move did not happen."""
    if db.session.scalar(select(exists().where(Attendance.case_id == case.id,
                                               Attendance.workshop_id == workshop.id))):
        raise AlreadyAttended()
    attendance = Attendance(workshop_id=workshop.id, case_id=case.id, recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(attendance)
    try:
        db.session.flush()
    except IntegrityError as exc:  # recorded by someone else a moment ago
        raise AlreadyAttended() from exc
    text = _("Attended the workshop “%(title)s” on %(date)s.", title=workshop.title,
             date=format_datetime(workshop.starts_at, "dd.MM.yyyy"))
    return record_milestone(case, "attendance", EventKind.WORKSHOP_ATTENDED, actor, text, move_on,
                            attendance_id=attendance.id, workshop_id=workshop.id)
