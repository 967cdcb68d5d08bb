"""Measures (Maßnahmen): what a business does to become more digital, recorded on its case."""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import MEASURE_STATUSES, Case, Measure
from app.cases.services import record_milestone
from app.extensions import db
from app.reference.models import Topic
from app.timeutil import BERLIN, utcnow

IMPLEMENTED = "implemented"
STATUS_LABELS = {
    "suggested": _l("suggested"),
    "planned": _l("planned"),
    "in_progress": _l("in progress"),
    "implemented": _l("implemented"),
    "dropped": _l("dropped"),
}
assert set(STATUS_LABELS) == set(MEASURE_STATUSES), "every measure status needs a German label"


class MeasureError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def today_in_germany() -> date:
    return utcnow().astimezone(BERLIN).date()


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.name)))


def measures_for_case(case_id: int) -> list[Measure]:
    """The case's measures, newest first, with their topics (one query)."""
    return list(db.session.scalars(
        select(Measure).where(Measure.case_id == case_id).order_by(Measure.created_at.desc(), Measure.id.desc())
    ))


def check_implemented_on(status: str, implemented_on: date | None) -> None:
    """An implemented measure needs the date it was implemented, and that date is not in the future."""
    if status == IMPLEMENTED and implemented_on is None:
        raise MeasureError("implemented_on", _("Please enter the date on which the measure was implemented."))
    if implemented_on is not None and implemented_on > today_in_germany():
        raise MeasureError("implemented_on", _("The date must not be in the future."))


def record_measure(case: Case, actor: User, description: str, status: str, topic: Topic | None,
                   implemented_on: date | None, move_on: bool) -> str | None:
    """Record a measure; perhaps move the case to "implemented". Returns why a wanted move did not happen."""
    if not description or not description.strip():
        raise MeasureError("description", _("Please describe the measure."))
    if status not in MEASURE_STATUSES:
        raise MeasureError("status", _("Please choose a status."))
    check_implemented_on(status, implemented_on)
    # The date means "implemented on"; for other statuses it would mislead the figures.
    when = implemented_on if status == IMPLEMENTED else None
    measure = Measure(case_id=case.id, topic_id=topic.id if topic else None, description=description.strip(),
                      status=status, implemented_on=when, created_by_id=actor.id, created_at=utcnow())
    db.session.add(measure)
    db.session.flush()
    text = _("Measure (%(status)s): %(description)s", status=STATUS_LABELS[status], description=measure.description)
    if when:
        text += " " + _("Implemented on %(date)s.", date=format_date(when, "dd.MM.yyyy"))
    return record_milestone(case, "measure_recorded", actor, text, target=IMPLEMENTED, move_on=move_on,
                            measure_id=measure.id, status=status, topic_id=measure.topic_id)
