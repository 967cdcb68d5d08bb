"""What the two mails of a public request show: the opt-in link, and the confirmation naming the scout.

Rendered by the dispatcher when the mail is first sent (app.scheduling.mails), so the link is signed then."""

from flask import Flask

from app.extensions import db
from app.intake import links
from app.intake.models import CheckRequest
from app.intake.services import CONFIRMED_TEMPLATE, OPT_IN_TEMPLATE
from app.scheduling.mails import case_of, common, registry_of
from app.scheduling.models import OutboxMessage


def opt_in_context(row: OutboxMessage) -> dict:
    request = db.session.get(CheckRequest, row.context["request_id"])
    if request is None:
        raise LookupError(f"check request {row.context['request_id']} is gone")  # deleted: the mail is given up
    greeting = f"Guten Tag {request.contact_name}," if request.contact_name else "Guten Tag,"
    return {"request": request, "greeting": greeting, "confirm_url": links.make_url(request),
            "valid_days": links.max_age().days}


def confirmed_context(row: OutboxMessage) -> dict:
    return common(case_of(row))


def init_app(app: Flask) -> None:
    builders = registry_of(app).builders
    builders[OPT_IN_TEMPLATE] = opt_in_context
    builders[CONFIRMED_TEMPLATE] = confirmed_context
