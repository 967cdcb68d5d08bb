"""What a business does through a link in an email: answer "How is it going?" or unsubscribe.

Both run as the system (actor None); the signed single-use link is the authorisation. Each
operation marks the link used, writes the timeline and commits once.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.cases import consents
from app.cases.models import Business, Case
from app.cases.services import add_event
from app.extensions import db
from app.scheduling import links, outbox, reminders
from app.scheduling.consent import refusal
from app.scheduling.models import LinkNonce, OutboxMessage
from app.timeutil import utcnow

ANSWERS = {
    "implemented": _l("It is implemented"),
    "in_progress": _l("It is in progress"),
    "need_help": _l("I need support"),
}
NEEDS_HELP = "need_help"


def answer_label(answer: str) -> str:
    return str(ANSWERS[answer])


def business_of(row: LinkNonce) -> Business | None:
    """The business a link was sent to (its name is shown on the confirm page)."""
    return db.session.get(Business, row.business_id) if row.business_id else None


def record_answer(row: LinkNonce, answer: str) -> Case:
    """Record the business's answer on its case; help asked for becomes a reminder for the owner due now.

    The answer makes the "no answer yet" reminders redundant, so they are cancelled.
    """
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    case = db.session.get(Case, row.case_id) if row.case_id else None
    if case is None:
        raise links.LinkError("forged")
    links.use(row)
    label = answer_label(answer)
    add_event(case, "business_answered", None,
              _("The business answered “How is it going?”: %(answer)s", answer=label), answer=answer)
    reminders.cancel_open(case, _("The business answered: %(answer)s", answer=label), until_answer=True)
    if answer == NEEDS_HELP:
        reminders.create(case, case.owner_id, utcnow(), _("The business asks for support"))
    reminders.sync_next_due(case.id)
    db.session.flush()
    return case


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
