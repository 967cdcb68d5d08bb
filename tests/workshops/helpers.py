"""Workshops, checked businesses with consent, and signed links for the workshop tests."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case
from app.checks import services as checks
from app.extensions import db
from app.reference.models import Topic
from app.scheduling import links
from app.timeutil import utcnow
from app.transactions import unit_of_work
from app.workshops import services
from app.workshops.models import Workshop
from tests.mailflow import DIMENSION_VALUES, consenting_case


def topic(key: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == key))


def workshop(days: float = 14, capacity: int = 10, topics: tuple[str, ...] = ("it_security",),
             title: str = "Sicher im Netz", deadline_days: float | None = None) -> Workshop:
    """A workshop `days` from now (negative: in the past), open for registration."""
    starts = (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)
    deadline = services.utc_to_berlin(utcnow() + timedelta(days=deadline_days)) if deadline_days is not None else None
    values = services.WorkshopValues(title, [topic(key).id for key in topics], services.utc_to_berlin(starts), 120,
                                     "Bildungszentrum Gelsenkirchen", "", capacity, deadline, "open", "Austausch")
    with unit_of_work():
        made = services.save_workshop(Workshop(), values, None)
    return made


def checked_case(owner: User, name: str = "Tischlerei Brinkmann", consent: bool = True) -> Case:
    """A business with e-mail consent (or without), a completed check (IT security weakest, then office) and
    its case at "check done"."""
    case = consenting_case(owner, name=name)
    case.business.email = "info@" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".example.org"
    case.business.email_consent = consent
    db.session.commit()
    with unit_of_work():
        check = checks.start_or_continue(case, owner)
        check.questionnaire_version = "v1"
        db.session.flush()
        questionnaire = checks.questionnaire_of(check)
        answers = {item.key: DIMENSION_VALUES[d.key] for d in questionnaire.dimensions for item in d.items}
        checks.save_step(check, answers, resume_at=None)
        checks.complete(check, case, owner, move_on=False)
        workflow.move(case, "check_done", owner)
    return case


def link(case: Case, target: Workshop, answer: str = "yes") -> str:
    """The path of a one-click link as the invitation carries it."""
    with unit_of_work():
        url = links.make_url("workshop", case_id=case.id, business_id=case.business_id, w=target.id, a=answer)
    return urlsplit(url).path
