"""The administrator's edits of the follow-up mail texts: preview for a sample case, save after checking, reset.

A preview renders the mail as the outbox would send it to the sample case's business (or partner; the public
request's opt-in to a sample request made from it), inside a savepoint that is rolled back: the signed links it
shows are never stored, so they open nothing.
"""

from flask_babel import lazy_gettext as _l
from jinja2.exceptions import SecurityError
from sqlalchemy import select

from app import transactions
from app.auth import audit
from app.auth.models import User
from app.cases.models import Case
from app.errors import DomainError
from app.extensions import db
from app.scheduling import mail_texts, mails
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.mail_texts import Texts
from app.scheduling.models import MailText, OutboxMessage
from app.timeutil import utcnow


def sample_case(case_id: int | None = None) -> Case | None:
    """The case a preview is rendered for: the one asked for, else the newest."""
    if case_id:
        return db.session.get(Case, case_id)
    return db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))


def preview(key: str, texts: Texts, case: Case) -> Texts:
    """The mail as it would go out for `case` (subject, plain text, HTML); DomainError when it cannot render."""
    template = TEMPLATES[key]
    context, case_id = {"case_id": case.id}, case.id
    if template.audience == "partner":
        recipients = mails.registry().recipients["partner"](case)
        if not recipients:
            raise DomainError(_l("Case %(id)d has no referral that the business agreed to pass on to a partner; "
                                 "choose another case for the preview.", id=case.id), "case_id")
        context = recipients[0].context
    sample = mails.registry().samples.get(key)
    with transactions.discarded():
        if sample is not None:  # a mail sent before there is a case (the opt-in): a sample made from the case
            context, case_id = sample(case), None
        row = OutboxMessage(template_key=key, case_id=case_id, audience=template.audience, context=context,
                            recipient="preview@procheck.invalid")
        try:
            mails.render(row, texts)
        except SecurityError as error:
            raise DomainError(_l("The text uses something a mail may not show: %(message)s",
                                 message=str(error))) from error
        except Exception as error:  # any failure of admin-typed Jinja is answered with its name, not a 500
            raise DomainError(_l("The text cannot be rendered for case %(id)d: %(message)s", id=case.id,
                                 message=f"{type(error).__name__}: {error}")) from error
    return Texts(row.subject, row.body_text, row.body_html)


def save(key: str, texts: Texts, actor: User, case: Case | None) -> MailText:
    """Check the texts (and render them for the sample case, when there is one), then store them."""
    mail_texts.check(key, texts)
    if case is not None:
        preview(key, texts, case)
    edited = mail_texts.override_for(key) or MailText(template_key=key)
    edited.subject, edited.body_text, edited.body_html = texts
    edited.updated_at, edited.updated_by_id = utcnow(), actor.id
    db.session.add(edited)
    audit.record(actor, "mail_text.saved", key)
    db.session.flush()
    return edited


def reset(key: str, actor: User) -> bool:
    """Back to the file templates; False when the text was not edited."""
    edited = mail_texts.override_for(key)
    if edited is None:
        return False
    db.session.delete(edited)
    audit.record(actor, "mail_text.reset", key)
    db.session.flush()
    return True
