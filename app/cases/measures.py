"""Measures (Maßnahmen): what a business does to become more digital, recorded on its case.

A measure is suggested (perhaps taken over from a check result), planned, in progress, implemented
(with the date) or dropped; the case's move to "implemented" needs at least one implemented measure.
"""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from app.auth.models import User
from app.cases.models import Case, Measure
from app.cases.services import add_event, record_milestone
from app.cases.vocab import EventKind, MeasureStatus
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Topic
from app.timeutil import today_berlin, utcnow

IMPLEMENTED = MeasureStatus.IMPLEMENTED
STATUS_LABELS = {
    MeasureStatus.SUGGESTED: _l("suggested"),
    MeasureStatus.PLANNED: _l("planned"),
    MeasureStatus.IN_PROGRESS: _l("in progress"),
    MeasureStatus.IMPLEMENTED: _l("implemented"),
    MeasureStatus.DROPPED: _l("dropped"),
}


class MeasureError(DomainError):
    """A measure's rule is broken; field and (German) message say which."""


def has_implemented_measure(case: Case) -> bool:
    """The guard of the move to "implemented"."""
    return db.session.scalar(select(exists().where(Measure.case_id == case.id, Measure.status == IMPLEMENTED)))


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
        raise MeasureError(_("Please enter the date on which the measure was implemented."), "implemented_on")
    if implemented_on is not None and implemented_on > today_berlin():
        raise MeasureError(_("The date must not be in the future."), "implemented_on")


def record_measure(case: Case, actor: User, description: str, status: str, topic: Topic | None,
                   implemented_on: date | None, move_on: bool) -> str | None:
    """Record a measure; perhaps move the case to "implemented". Returns why a wanted move did not happen."""
    if not description or not description.strip():
        raise MeasureError(_("Please describe the measure."), "description")
    if status not in STATUS_LABELS:
        raise MeasureError(_("Please choose a status."), "status")
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
    return record_milestone(case, "implemented_measure", EventKind.MEASURE_RECORDED, actor, text, move_on,
                            measure_id=measure.id, status=status, topic_id=measure.topic_id)


def take_over(case: Case, actor: User, suggestions: list) -> tuple[list[Measure], int]:
    """Take suggested measures of a check result into the case with status "suggested".

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
    new = [Measure(case_id=case.id, topic_id=topic_ids.get(s.topic_key), description=s.text,
                   status=MeasureStatus.SUGGESTED, created_by_id=actor.id, created_at=now) for s in wanted]
    db.session.add_all(new)
    db.session.flush()
    text = _("Suggested measures taken over from the check: %(list)s",
             list="; ".join(measure.description for measure in new))
    add_event(case, EventKind.MEASURE_RECORDED, actor, text, measure_ids=[m.id for m in new],
              status=MeasureStatus.SUGGESTED)
    db.session.flush()
    return new, len(suggestions) - len(new)


def change_status(measure: Measure, case: Case, actor: User, status: str, implemented_on: date | None) -> bool:
    """Give a measure a new status (implemented needs its date); a timeline entry says so.

    Returns False when nothing changed.
    """
    if status not in STATUS_LABELS:
        raise MeasureError(_("Please choose a status."), "status")
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
    add_event(case, EventKind.MEASURE_RECORDED, actor, text, measure_id=measure.id, status=status, previous=before)
    db.session.flush()
    return True
