"""Workshops: the list, saving one, its registrations and attendance lists, and what other packages ask."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Select, case, exists, func, or_, select

from app.auth.models import User
from app.cases.models import Business, Case
from app.cases.search import name_condition
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality, Topic
from app.timeutil import BERLIN, utcnow
from app.workshops import registrations
from app.workshops.models import Attendance, Registration, RegistrationStatus, Workshop, WorkshopStatus, workshop_topics

RECENT_DAYS = 180  # attendance is recorded for workshops of the last half year or upcoming ones
CHECK_IN_ORDER = {RegistrationStatus.REGISTERED: 0, RegistrationStatus.ATTENDED: 1, RegistrationStatus.NO_SHOW: 2,
                  RegistrationStatus.WAITLISTED: 3, RegistrationStatus.CANCELLED: 4}


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
                              .where(Attendance.workshop_id.in_(workshop_ids), Attendance.withdrawn_at.is_(None))
                              .group_by(Attendance.workshop_id))
    return dict(rows.all())


@dataclass
class WorkshopValues:
    title: str
    topic_ids: list[int]
    starts_at_local: datetime
    duration_minutes: int
    place: str
    online_url: str
    capacity: int
    deadline_local: datetime | None
    status: str
    description: str


def save_workshop(workshop: Workshop, values: WorkshopValues, actor: User | None) -> Workshop:
    """Create or update a workshop; registered businesses hear of a new time or place, or of the cancellation."""
    place, online_url = values.place.strip(), values.online_url.strip()
    if not place and not online_url:
        raise DomainError(_l("Please enter the place or the online link."), "place")
    starts_at = berlin_to_utc(values.starts_at_local)
    deadline = berlin_to_utc(values.deadline_local) if values.deadline_local else None
    if deadline is not None and deadline > starts_at:
        raise DomainError(_l("The registration deadline must be before the workshop starts."), "registration_deadline")
    if workshop.id is not None and values.capacity < workshop.places_taken:
        raise DomainError(_l("The capacity cannot be below the places already taken."), "capacity")
    chosen = list(db.session.scalars(select(Topic).where(Topic.id.in_(values.topic_ids)).order_by(Topic.name)))
    moved = workshop.id is not None and (workshop.starts_at != starts_at or workshop.place != place
                                         or workshop.online_url != online_url
                                         or workshop.duration_minutes != values.duration_minutes)
    cancelled = (workshop.id is not None and values.status == WorkshopStatus.CANCELLED
                 and workshop.status != WorkshopStatus.CANCELLED)
    workshop.title = values.title.strip()
    workshop.topic_id = chosen[0].id if workshop.topic_id not in values.topic_ids else workshop.topic_id
    workshop.topics = chosen
    workshop.starts_at, workshop.duration_minutes, workshop.registration_deadline = (
        starts_at, values.duration_minutes, deadline)
    workshop.place, workshop.online_url, workshop.capacity = place, online_url, values.capacity
    workshop.description = (values.description or "").strip()
    workshop.status = _status(workshop, values.status)
    db.session.add(workshop)
    db.session.flush()
    if cancelled:
        registrations.cancel_workshop(workshop, actor)
    elif moved:
        registrations.workshop_moved(workshop)
    if workshop.status == WorkshopStatus.OPEN:  # a larger capacity frees places for the waiting list
        while workshop.places_taken < workshop.capacity and registrations.move_up(workshop):
            pass
    return workshop


def _status(workshop: Workshop, wanted: str) -> str:
    """"full" follows the places taken; the other statuses are chosen."""
    if wanted in (WorkshopStatus.OPEN, WorkshopStatus.FULL):
        return WorkshopStatus.FULL if (workshop.places_taken or 0) >= workshop.capacity else WorkshopStatus.OPEN
    return wanted


def check_in_list(workshop_id: int) -> list[Row]:
    """Everyone registered, waitlisted or recorded for the workshop, with business and attendance (one query)."""
    order = case(CHECK_IN_ORDER, value=Registration.status)
    return list(db.session.execute(
        select(Registration.id, Registration.status, Registration.case_id, Business.name.label("business"),
               Municipality.name.label("municipality"), Attendance.id.label("attendance_id"),
               Attendance.recorded_at, Attendance.withdrawn_at, Attendance.withdrawn_reason,
               User.name.label("recorded_by"))
        .join(Case, Case.id == Registration.case_id)
        .join(Business, Business.id == Case.business_id)
        .join(Municipality, Municipality.id == Business.municipality_id)
        .outerjoin(Attendance, (Attendance.case_id == Registration.case_id)
                   & (Attendance.workshop_id == Registration.workshop_id))
        .outerjoin(User, User.id == Attendance.recorded_by_id)
        .where(Registration.workshop_id == workshop_id)
        .order_by(order, Business.name, Case.id)
    ))


def walk_in_matches(workshop_id: int, term: str, limit: int = 10) -> list[Row]:
    """Cases whose business name contains the term and that are not on the workshop's list yet (an anonymised
    business does not walk in: "Anonymisierter Betrieb" would match "Betrieb")."""
    return list(db.session.execute(
        select(Case.id.label("case_id"), Business.name.label("business"), Municipality.name.label("municipality"))
        .join(Business, Business.id == Case.business_id)
        .join(Municipality, Municipality.id == Business.municipality_id)
        .where(name_condition(db.session, term), Business.anonymised_at.is_(None),
               ~exists().where(Registration.workshop_id == workshop_id, Registration.case_id == Case.id))
        .order_by(Business.name, Case.id).limit(limit)))


def attendance_choices() -> list[Workshop]:
    """Workshops of the last 180 days and upcoming ones, newest first."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return list(db.session.scalars(
        select(Workshop).where(Workshop.starts_at >= since).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    ))


def upcoming_on_topics(topic_ids: list[int], limit: int) -> list[Workshop]:
    """Upcoming, not cancelled workshops on any of these topics, soonest first."""
    if not topic_ids:
        return []
    on_topic = or_(Workshop.topic_id.in_(topic_ids), exists().where(
        workshop_topics.c.workshop_id == Workshop.id, workshop_topics.c.topic_id.in_(topic_ids)))
    return list(db.session.scalars(
        select(Workshop).where(on_topic, Workshop.starts_at >= utcnow(), Workshop.status != WorkshopStatus.CANCELLED)
        .order_by(Workshop.starts_at, Workshop.id).limit(limit)))


def has_attendance(case: Case) -> bool:
    """The guard of the move to "workshop attended": an attendance that was not withdrawn."""
    return db.session.scalar(select(exists().where(Attendance.case_id == case.id, Attendance.withdrawn_at.is_(None))))


@dataclass
class CaseWorkshops:
    """The case page's workshop panel: what the business attended and what it is signed up for."""

    attended: list[Attendance]
    pending: list[Row]


def case_workshops(case_id: int) -> CaseWorkshops:
    return CaseWorkshops(attendances_for_case(case_id), pending_registrations(case_id))


def pending_registrations(case_id: int) -> list[Row]:
    """The business's registrations and waiting-list places for upcoming workshops, soonest first (one query)."""
    return list(db.session.execute(
        select(Registration.status, Workshop.id, Workshop.title, Workshop.starts_at)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.case_id == case_id, Registration.status.in_(registrations.ACTIVE),
               Workshop.starts_at >= utcnow(), Workshop.status != WorkshopStatus.CANCELLED)
        .order_by(Workshop.starts_at, Workshop.id)))


def attendances_for_case(case_id: int) -> list[Attendance]:
    """The workshops the case's business attended (withdrawn ones left out), latest workshop first (one query)."""
    return list(db.session.scalars(
        select(Attendance).join(Attendance.workshop)
        .where(Attendance.case_id == case_id, Attendance.withdrawn_at.is_(None))
        .order_by(Workshop.starts_at.desc(), Attendance.id.desc())
    ))
