"""What a business does through a link in an email: answer "How is it going?" or unsubscribe.

Both run as the system (actor None); the signed link is the authorisation. Each operation marks
the link used, writes the timeline and commits once. An answer may be changed while its link lives:
the latest answer counts, each change is on the timeline, and its consequences follow the latest one.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.cases import consents
from app.cases.models import Business, Case, CaseEvent
from app.cases.services import add_event
from app.extensions import db
from app.scheduling import links, outbox, reminders
from app.scheduling.consent import refusal
from app.scheduling.models import LinkNonce, OutboxMessage, Reminder
from app.timeutil import utcnow

ANSWERS = {
    "implemented": _l("It is implemented"),
    "in_progress": _l("It is in progress"),
    "need_help": _l("I need support"),
}
NEEDS_HELP = "need_help"
HELP_KEY = "answer-help"  # unique_key prefix of the reminder made when the business asks for support


def answer_label(answer: str) -> str:
    return str(ANSWERS[answer])


def business_of(row: LinkNonce) -> Business | None:
    """The business a link was sent to (its name is shown on the confirm page)."""
    return db.session.get(Business, row.business_id) if row.business_id else None


@dataclass(frozen=True)
class Answered:
    """The case's latest answer to "How is it going?"."""

    answer: str
    at: datetime

    @property
    def label(self) -> str:
        return answer_label(self.answer)


def latest_answer(case_id: int) -> Answered | None:
    """The latest answer the business gave on this case (the timeline holds every one)."""
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                      CaseEvent.kind == "business_answered")
                              .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc()).limit(1))
    answer = (event.data or {}).get("answer") if event else None
    return Answered(answer, event.created_at) if answer in ANSWERS else None


def _help_reminders(case: Case):
    return select(Reminder).where(Reminder.case_id == case.id, Reminder.state == "open",
                                  Reminder.unique_key.startswith(f"{HELP_KEY}:{case.id}:", autoescape=True))


def record_answer(row: LinkNonce, answer: str) -> bool:
    """Record the business's answer on its case; returns False when it only repeated its latest answer.

    The first answer makes the "no answer yet" reminders redundant, so they are cancelled. Help asked
    for becomes one reminder for the owner due now; an answer changed away from it cancels that reminder.
    """
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    case = db.session.get(Case, row.case_id) if row.case_id else None
    if case is None:
        raise links.LinkError("forged")
    links.use(row)  # locks the link's row first: two answers at once take turns
    before = latest_answer(case.id)
    if before is not None and before.answer == answer:
        return False  # a second click on the same answer (or a reload) changes nothing
    label = answer_label(answer)
    if before is None:
        text = _("The business answered “How is it going?”: %(answer)s", answer=label)
    else:
        text = _("The business changed its answer to “How is it going?” from “%(before)s” to “%(answer)s”.",
                 before=before.label, answer=label)
    add_event(case, "business_answered", None, text, answer=answer)
    reminders.cancel_open(case, _("The business answered: %(answer)s", answer=label), until_answer=True)
    help_open = list(db.session.scalars(_help_reminders(case)))
    if answer == NEEDS_HELP and not help_open:
        reminders.create(case, case.owner_id, utcnow(), _("The business asks for support"),
                         unique_key=f"{HELP_KEY}:{case.id}:{secrets.token_hex(8)}")
    if answer != NEEDS_HELP:
        for reminder in help_open:
            reminders.close(reminder, "cancelled", _("The business changed its answer to: %(answer)s", answer=label))
    db.session.flush()
    reminders.sync_next_due(case.id)
    return True


@dataclass(frozen=True)
class Unsubscribed:
    business: Business
    cancelled: int
    already: bool  # the business had unsubscribed before (through another mail's link)


def unsubscribe(row: LinkNonce) -> Unsubscribed:
    """Stop every email to the business: record the time, cancel its pending mails, note it on each case."""
    business = db.session.get(Business, row.business_id) if row.business_id else None
    if business is None:
        raise links.LinkError("forged")
    links.use(row)
    if business.unsubscribed_at is not None:
        return Unsubscribed(business, 0, already=True)
    business.unsubscribed_at = utcnow()
    consents.withdraw(business, consents.Purpose.EMAIL, None)  # the record says when, too
    reason = refusal(business)
    cases = list(db.session.scalars(select(Case).where(Case.business_id == business.id).order_by(Case.id)))
    pending = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id.in_([c.id for c in cases]), OutboxMessage.audience == "business",
        OutboxMessage.status == "pending")).all() if cases else []
    per_case: dict[int, int] = {}
    for message in pending:
        outbox.cancel(message, reason)
        per_case[message.case_id] = per_case.get(message.case_id, 0) + 1
    for case in cases:
        count = per_case.get(case.id, 0)
        add_event(case, "unsubscribed", None,
                  _("The business unsubscribed from emails through the link in an email. "
                    "Pending emails cancelled: %(count)d.", count=count), cancelled=count)
    db.session.flush()
    return Unsubscribed(business, len(pending), already=False)
