"""Measures (Maßnahmen): what a business does to become more digital, recorded on its case.

A measure is suggested (perhaps taken over from a check result), planned, in progress, implemented
(with the date) or dropped; the case's move to "implemented" needs at least one implemented measure.
"""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import MEASURE_STATUSES, Case, Measure
from app.cases.services import add_event, record_milestone
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


def take_over(case: Case, actor: User, suggestions: list) -> tuple[list[Measure], int]:
    """Take suggested measures of a check result into the case with status "suggested". One commit.

    suggestions have .text and .topic_key (app.checks.recommendations.Suggestion). A suggestion
    whose text is already a measure of the case is skipped. Returns the new measures and how many
    were skipped.
    """
    existing = set(db.session.scalars(select(Measure.description).where(Measure.case_id == case.id)))
    wanted = [s for s in suggestions if s.text not in existing]
    if not wanted:
        return [], len(suggestions)
    keys = {s.topic_key for s in wanted if s.topic_key}
    topic_ids = dict(db.session.execute(select(Topic.key, Topic.id).where(Topic.key.in_(keys))).all()) if keys else {}
    now = utcnow()
    new = [Measure(case_id=case.id, topic_id=topic_ids.get(s.topic_key), description=s.text, status="suggested",
                   created_by_id=actor.id, created_at=now) for s in wanted]
    db.session.add_all(new)
    db.session.flush()
    text = _("Suggested measures taken over from the check: %(list)s",
             list="; ".join(measure.description for measure in new))
    add_event(case, "measure_recorded", actor, text, measure_ids=[m.id for m in new], status="suggested")
    db.session.commit()
    return new, len(suggestions) - len(new)


def change_status(measure: Measure, case: Case, actor: User, status: str, implemented_on: date | None) -> bool:
    """Give a measure a new status (implemented needs its date); a timeline entry says so. One commit.

    Returns False when nothing changed.
    """
    if status not in MEASURE_STATUSES:
        raise MeasureError("status", _("Please choose a status."))
    check_implemented_on(status, implemented_on)
    when = implemented_on if status == IMPLEMENTED else None
    if (measure.status, measure.implemented_on) == (status, when):
        return False
    before = measure.status
    measure.status = status
    measure.implemented_on = when
    text = _("Status of the measure changed from “%(before)s” to “%(after)s”: %(description)s",
             before=STATUS_LABELS[before], after=STATUS_LABELS[status], description=measure.description)
    if when:
        text += " " + _("Implemented on %(date)s.", date=format_date(when, "dd.MM.yyyy"))
    add_event(case, "measure_recorded", actor, text, measure_id=measure.id, status=status, previous=before)
    db.session.commit()
    return True
