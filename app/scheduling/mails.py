"""Rendering outbox rows into emails: German text and HTML from templates/mail/<key>.txt and .html."""

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template

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


def render(row: OutboxMessage) -> None:
    """Fill subject and both bodies of the row (links are signed now, when the mail is first sent)."""
    context = {"row": row, "chamber": current_app.config["CHAMBER_NAME"],
               "signature": current_app.config["CHAMBER_SIGNATURE"], **row.context}
    if builder := CONTEXT_BUILDERS.get(row.template_key):
        context.update(builder(row))
    row.subject = render_template(f"mail/{row.template_key}.subject.txt", **context).strip()
    row.body_text = render_template(f"mail/{row.template_key}.txt", **context)
    row.body_html = render_template(f"mail/{row.template_key}.html", **context)


def build(row: OutboxMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.sent_at or utcnow())
    message["Message-ID"] = row.message_id
    if unsubscribe := row.context.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    return message
