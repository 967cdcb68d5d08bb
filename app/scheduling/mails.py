"""Rendering outbox rows into emails: German text and HTML from templates/mail/<key>.txt and .html."""

import re
from collections.abc import Callable
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime

from flask import current_app, render_template

from app.cases.models import Case
from app.extensions import db
from app.scheduling import links
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow

# template key -> function that loads what the template shows (from the ids in row.context).
# Each template's module registers its builder with @context_builder("key").
CONTEXT_BUILDERS: dict[str, Callable[[OutboxMessage], dict]] = {}


def context_builder(key: str):
    def register(builder: Callable[[OutboxMessage], dict]):
        CONTEXT_BUILDERS[key] = builder
        return builder

    return register


def _unsubscribe_url(row: OutboxMessage) -> str | None:
    """A business mail carries a signed unsubscribe link (visible in the body and in List-Unsubscribe)."""
    template = TEMPLATES.get(row.template_key)
    case = db.session.get(Case, row.case_id) if row.case_id else None
    if template is None or template.audience != "business" or case is None:
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


def render(row: OutboxMessage) -> None:
    """Fill subject and both bodies of the row (links are signed now, when the mail is first sent)."""
    stored = dict(row.context)
    if unsubscribe := _unsubscribe_url(row):
        stored["unsubscribe_url"] = unsubscribe
    context = {"row": row, "chamber": current_app.config["CHAMBER_NAME"],
               "signature": current_app.config["CHAMBER_SIGNATURE"], **stored}
    if builder := CONTEXT_BUILDERS.get(row.template_key):
        context.update(builder(row))
    if context.get("reply_to"):
        stored["reply_to"] = context["reply_to"]  # answers go to the scout, not to a no-reply box
    row.context = stored  # a new dict, so that the JSON column is written
    template = TEMPLATES.get(row.template_key)
    trimmed = template is not None and template.audience in ("business", "partner")
    row.subject = " ".join(_render_text(f"mail/{row.template_key}.subject.txt", context, trimmed).split())
    row.body_text = _tidy(_render_text(f"mail/{row.template_key}.txt", context, trimmed))
    row.body_html = render_template(f"mail/{row.template_key}.html", **context)


# Long links in List-Unsubscribe stay on one line (compat32 would fold them at 78 characters).
UNFOLDED = compat32.clone(max_line_length=998)


def build(row: OutboxMessage) -> Message:
    """The MIME message (text and HTML alternatives).

    Built with the compat32 MIME classes: they serialise about three times faster than
    EmailMessage, which dominated the dispatcher's time per mail.
    """
    message = MIMEMultipart("alternative", policy=UNFOLDED)
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
    message.attach(MIMEText(row.body_text, "plain", "utf-8"))
    message.attach(MIMEText(row.body_html, "html", "utf-8"))
    return message


# The builders of the business and partner mails register themselves on import (after the registry exists).
from app.scheduling import business_mails  # noqa: E402, F401
