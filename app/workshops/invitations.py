"""Inviting businesses to a workshop by their check's gaps: the candidates (weakest dimensions on the workshop's
topics, e-mail consent on record, not unsubscribed, not yet invited or registered), a preview of the mail, and
queueing the invitations through the outbox."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, exists, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.cases.models import Business, Case
from app.cases.services import add_event
from app.cases.vocab import EventKind, State
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality
from app.scheduling import mails, outbox
from app.scheduling.consent import allows_email, refusal
from app.timeutil import utcnow
from app.workshops import hooks
from app.workshops.models import Registration, Workshop, WorkshopInvitation
from app.workshops.registrations import registration_refusal

MAX_PER_POST = 200  # invitations queued with one click (a page of candidates is smaller)


@dataclass
class CandidatePage:
    rows: list[Row]
    page: int
    has_next: bool


def _candidates(workshop: Workshop):
    weak = hooks.current().weak_cases({topic.key for topic in workshop.all_topics}).subquery()
    return (select(Case.id.label("case_id"), Business.name.label("business"), Business.email,
                   Municipality.name.label("municipality"), Case.state, weak.c.gap)
            .join(Case, Case.id == weak.c.case_id)
            .join(Business, Business.id == Case.business_id)
            .join(Municipality, Municipality.id == Business.municipality_id)
            .where(allows_email(), Case.state != State.WITHDRAWN,
                   ~exists().where(WorkshopInvitation.workshop_id == workshop.id,
                                   WorkshopInvitation.case_id == Case.id),
                   ~exists().where(Registration.workshop_id == workshop.id, Registration.case_id == Case.id)))


def candidates(workshop: Workshop, page: int, per_page: int) -> CandidatePage:
    """One page of candidates, largest gap (lowest score) first; one query (a row more tells of a next page)."""
    rows = db.session.execute(_candidates(workshop).order_by("gap", "case_id")
                              .limit(per_page + 1).offset((page - 1) * per_page)).all()
    return CandidatePage(rows[:per_page], page, len(rows) > per_page)


def preview(workshop: Workshop, case_id: int | None) -> tuple[str, str]:
    """The invitation as the business will read it (sample links: the real ones are signed when it is sent)."""
    case = db.session.get(Case, case_id) if case_id else None
    about = mails.common(case) if case else {"case": None, "business": None, "scout": None, "greeting": "Guten Tag,"}
    sample = _("(link in the e-mail)")
    return mails.preview("workshop_invitation", {
        **about, "workshop": workshop, "yes_url": sample, "no_url": sample, "unsubscribe_url": sample})


def invite(workshop: Workshop, case_ids: list[int], actor: User) -> int:
    """Queue the invitation to each chosen case that is still a candidate; returns how many were queued."""
    if problem := registration_refusal(workshop):
        raise DomainError(problem)
    if not case_ids:
        raise DomainError(_("Please choose at least one business."), "case_ids")
    if len(case_ids) > MAX_PER_POST:
        raise DomainError(_("Please invite at most %(count)d businesses at once.", count=MAX_PER_POST), "case_ids")
    chosen = db.session.scalars(select(_candidates(workshop).where(Case.id.in_(case_ids)).subquery().c.case_id)).all()
    cases = db.session.scalars(select(Case).where(Case.id.in_(chosen)).order_by(Case.id)).all()
    queued = 0
    for case in cases:
        if refusal(case.business):  # the SQL condition and this check say the same; the mail is checked again
            continue
        db.session.add(WorkshopInvitation(workshop_id=workshop.id, case_id=case.id, invited_by_id=actor.id,
                                          invited_at=utcnow()))
        add_event(case, EventKind.WORKSHOP_INVITED, actor,
                  _("Invited to the workshop “%(title)s”.", title=workshop.title), workshop_id=workshop.id)
        outbox.queue(recipient=case.business.email, audience="business", template_key="workshop_invitation",
                     due_at=utcnow(), unique_key=f"workshop_invitation:{workshop.id}:{case.id}", case_id=case.id,
                     context={"case_id": case.id, "workshop_id": workshop.id})
        queued += 1
    try:
        db.session.flush()
    except IntegrityError as error:  # a colleague invited one of them a moment ago
        raise DomainError(_l("Some of these businesses were invited meanwhile. Please reload the page.")) from error
    return queued
