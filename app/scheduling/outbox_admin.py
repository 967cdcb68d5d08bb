"""What the team lead does on the outbox page: send a failed or cancelled mail again, or cancel one.

Both are guarded UPDATEs, so they never overwrite a row the dispatcher has claimed meanwhile.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, update

from app import transactions
from app.auth.models import User
from app.cases.models import Case
from app.cases.services import add_event
from app.errors import DomainError
from app.extensions import db
from app.scheduling import mails
from app.scheduling.consent import refusal
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow

STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}
# Which rows each action applies to: a sent mail is never sent again.
RETRYABLE = or_(OutboxMessage.status == "failed",
                and_(OutboxMessage.status == "cancelled", OutboxMessage.sent_at.is_(None)))
CANCELLABLE = OutboxMessage.status.in_(("pending", "failed"))


class OutboxRefused(DomainError):
    """The mail is not in a state that allows the action."""


def template_label(key: str) -> str:
    template = TEMPLATES.get(key)
    return str(template.label) if template else key


def can_retry(row: OutboxMessage, *, consent: bool = True) -> bool:
    """Whether to offer "send again"; `consent` says whether a business mail's recipient allows it now."""
    return (row.status == "failed" or (row.status == "cancelled" and row.sent_at is None)) and (
        consent or row.audience != "business")


def can_cancel(row: OutboxMessage) -> bool:
    return row.status in ("pending", "failed")


def retry(row: OutboxMessage, actor: User) -> None:
    """Queue the mail again, due now, with a fresh count of attempts.

    A mail to a business still needs its consent: without it the dispatcher would only cancel it again.
    """
    case = db.session.get(Case, row.case_id) if row.case_id is not None else None
    if row.audience == "business" and case is not None and (problem := refusal(case.business)):
        raise OutboxRefused(_l("This email cannot be sent: %(reason)s", reason=problem))
    previous = row.last_error
    done = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id, RETRYABLE)
        .values(status="pending", due_at=utcnow(), attempts=0, last_error="", first_attempt_at=None,
                lease_until=None).execution_options(synchronize_session=False)).rowcount
    if not done:
        raise OutboxRefused(_l("Only a failed email, or a cancelled one that was never sent, can be sent again."))
    _note(row, "email_retried", actor, _("Sent again by the team lead: %(template)s to %(recipient)s "
                                         "(before: %(error)s)", template=template_label(row.template_key),
                                         recipient=row.recipient, error=previous or "–"))
    db.session.flush()


def cancel(row: OutboxMessage, actor: User) -> None:
    """Stop a waiting or failed mail for good, with the reason."""
    reason = _("Cancelled by the team lead")
    done = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id, CANCELLABLE)
        .values(status="cancelled", last_error=reason, lease_until=None)
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise OutboxRefused(_l("Only a waiting or failed email can be cancelled."))
    _note(row, "email_cancelled", actor, f"{template_label(row.template_key)}: {reason}")
    db.session.flush()


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str
    preview: bool  # rendered now for a mail still waiting: its links are not signed for real


def content(row: OutboxMessage) -> MailContent:
    """What the recipient reads: the mail as sent, or (not rendered yet) a preview rendered in a savepoint that
    is rolled back, so that no link nonce is stored and the mail is rendered afresh when it goes out."""
    if row.body_html:
        return MailContent(row.subject, row.body_text, row.body_html, preview=False)
    with transactions.discarded():
        mails.render(row)
        return MailContent(row.subject, row.body_text, row.body_html, preview=True)


def _note(row: OutboxMessage, kind: str, actor: User, text: str) -> None:
    if row.case_id is not None:
        add_event(db.session.get(Case, row.case_id), kind, actor, text, outbox_id=row.id,
                  template=row.template_key)
