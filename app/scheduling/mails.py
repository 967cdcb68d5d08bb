"""Rendering outbox rows into emails: German text and HTML from templates/mail/<key>.txt and .html."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime

from flask import Flask, current_app, render_template
from flask_babel import format_decimal

from app.cases.models import Case
from app.chamber import chamber_name
from app.extensions import db
from app.scheduling import links, mail_texts
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow

Builder = Callable[[OutboxMessage], dict]


@dataclass(frozen=True)
class Attachment:
    """A file a mail carries, made when the mail is built (so the outbox row holds only ids)."""

    filename: str
    content_type: str  # e.g. "text/calendar"
    data: bytes
    params: tuple[tuple[str, str], ...] = ()  # further Content-Type parameters, e.g. (("method", "REQUEST"),)


@dataclass(frozen=True)
class Recipient:
    """One address a rule's email goes to, with what its template needs and what makes it unique."""

    email: str
    context: dict
    unique: str


@dataclass
class MailRegistry:
    """Filled by the packages that own the data in their init_app: per template key, the function that
    loads what the mail shows (from the ids in row.context, when it is first sent), and per audience
    other than the business, who a rule's mail goes to (the partners of a case's referrals), and per template
    key the function that makes its attachments from the row when it is sent, and per template key of a mail that
    is not about a case (the public request's opt-in) the row context of a sample made from a case, for the preview
    (called inside a savepoint that is rolled back, so it may add rows)."""

    builders: dict[str, Builder] = field(default_factory=dict)
    attachments: dict[str, Callable[[OutboxMessage], list[Attachment]]] = field(default_factory=dict)
    recipients: dict[str, Callable[[Case], list[Recipient]]] = field(default_factory=dict)
    samples: dict[str, Callable[[Case], dict]] = field(default_factory=dict)


KEY = "procheck.mail"


def registry_of(app: Flask) -> MailRegistry:
    return app.extensions.setdefault(KEY, MailRegistry())


def registry() -> MailRegistry:
    return current_app.extensions[KEY]


def case_of(row: OutboxMessage) -> Case:
    return db.session.get(Case, row.context.get("case_id") or row.case_id)


def quoted_list(names) -> str:
    """„A“, „B“ und „C“: names that contain commas themselves stay readable."""
    quoted = [f"„{name}“" for name in dict.fromkeys(names)]
    return " und ".join(filter(None, (", ".join(quoted[:-1]), quoted[-1]))) if quoted else ""


def points(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, "0.#")


def common(case: Case) -> dict:
    """What every mail about a case shows: greeting, business, scout (answers go to the scout)."""
    business, scout = case.business, case.owner
    greeting = f"Guten Tag {business.contact_name}," if business.contact_name else "Guten Tag,"
    return {"case": case, "business": business, "scout": scout, "greeting": greeting, "reply_to": scout.email,
            "quoted_list": quoted_list}


def _unsubscribe_url(row: OutboxMessage) -> str | None:
    """A business mail sent on its consent carries a signed unsubscribe link (visible in the body and in
    List-Unsubscribe); the opt-in mail, which asks for that consent, does not."""
    template = TEMPLATES.get(row.template_key)
    case = db.session.get(Case, row.case_id) if row.case_id else None
    if template is None or template.audience != "business" or template.basis != "consent" or case is None:
        return None
    return links.make_url("unsubscribe", case_id=case.id, business_id=case.business_id)


def _tidy(text: str) -> str:
    """Template tags leave trailing blanks and runs of empty lines in plain text; a mail reads better without."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"


def _render_text(name: str, context: dict, trimmed: bool) -> str:
    """Plain text. The business and partner templates are written for trim_blocks (a block tag swallows its
    own line), so their text reads as written; other templates render as usual."""
    if not trimmed:
        return render_template(name, **context)
    app = current_app._get_current_object()
    env = app.extensions.get("procheck_text_jinja")
    if env is None:
        env = app.extensions["procheck_text_jinja"] = app.jinja_env.overlay(
            trim_blocks=True, lstrip_blocks=True, cache_size=200)
    context = dict(context)
    app.update_template_context(context)
    return env.get_template(name).render(context)


def context_for(row: OutboxMessage) -> dict:
    """What the row's templates show (links are signed now); row.context keeps the unsubscribe link and Reply-To."""
    stored = dict(row.context)
    if unsubscribe := _unsubscribe_url(row):
        stored["unsubscribe_url"] = unsubscribe
    context = {"row": row, "chamber": chamber_name(current_app.config),
               "signature": current_app.config["CHAMBER_SIGNATURE"], **stored}
    if builder := registry().builders.get(row.template_key):
        context.update(builder(row))
    if context.get("reply_to"):
        stored["reply_to"] = context["reply_to"]  # answers go to the scout, not to a no-reply box
    row.context = stored  # a new dict, so that the JSON column is written
    return context


def render(row: OutboxMessage, texts: mail_texts.Texts | None = None) -> None:
    """Fill subject and both bodies of the row: from `texts` (a preview), the administrator's mail text when there
    is one (app.scheduling.mail_texts, rendered in a sandbox), else from templates/mail/."""
    context = context_for(row)
    if edited := texts or mail_texts.override_for(row.template_key):
        subject, text, html = mail_texts.render(edited, context)
    else:
        template = TEMPLATES.get(row.template_key)
        trimmed = template is not None and template.audience in ("business", "partner")
        subject = _render_text(f"mail/{row.template_key}.subject.txt", context, trimmed)
        text = _render_text(f"mail/{row.template_key}.txt", context, trimmed)
        html = render_template(f"mail/{row.template_key}.html", **context)
    row.subject, row.body_text, row.body_html = " ".join(subject.split()), _tidy(text), html


def preview(template_key: str, context: dict) -> tuple[str, str]:
    """Subject and plain text of a business template as it would read with this context (nothing is stored): the
    administrator's mail text when there is one, as the mail will be sent."""
    context = {"chamber": chamber_name(current_app.config), "signature": current_app.config["CHAMBER_SIGNATURE"],
               **context}
    if edited := mail_texts.override_for(template_key):
        subject, text, _html = mail_texts.render(edited, context)
        return " ".join(subject.split()), _tidy(text)
    subject = " ".join(_render_text(f"mail/{template_key}.subject.txt", context, True).split())
    return subject, _tidy(_render_text(f"mail/{template_key}.txt", context, True))


# Long links in List-Unsubscribe stay on one line (compat32 would fold them at 78 characters).
UNFOLDED = compat32.clone(max_line_length=998)


def _attachment_part(attachment: Attachment) -> MIMEBase:
    maintype, subtype = attachment.content_type.split("/", 1)
    part = MIMEBase(maintype, subtype, policy=UNFOLDED, charset="utf-8", **dict(attachment.params))
    part.set_payload(attachment.data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def build(row: OutboxMessage) -> Message:
    """The MIME message (text and HTML alternatives, inside multipart/mixed when the mail has attachments).

    Built with the compat32 MIME classes: they serialise about three times faster than
    EmailMessage, which dominated the dispatcher's time per mail.
    """
    body = MIMEMultipart("alternative", policy=UNFOLDED)
    body.attach(MIMEText(row.body_text, "plain", "utf-8"))
    body.attach(MIMEText(row.body_html, "html", "utf-8"))
    make_attachments = registry().attachments.get(row.template_key)
    attachments = make_attachments(row) if make_attachments else []
    message = MIMEMultipart("mixed", policy=UNFOLDED) if attachments else body
    if attachments:
        message.attach(body)
        for attachment in attachments:
            message.attach(_attachment_part(attachment))
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.recipient
    message["Subject"] = Header(row.subject, "utf-8")
    message["Date"] = format_datetime(row.sent_at or utcnow())
    message["Message-ID"] = row.message_id
    if reply_to := row.context.get("reply_to"):
        message["Reply-To"] = reply_to
    if unsubscribe := row.context.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in message.items():
        if "\n" in str(value) or "\r" in str(value):  # compat32 would let a line break inject headers
            raise ValueError(f"header {name} contains a line break")
    return message

