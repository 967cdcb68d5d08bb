"""What the two mails of a public request show: the opt-in link, and the confirmation naming the scout.

Rendered by the dispatcher when the mail is first sent (app.scheduling.mails), so the link is signed then. Their
texts are mail templates the administrator may edit (app.scheduling.mail_templates)."""

import secrets

from flask import Flask, current_app

from app.cases.models import Case
from app.extensions import db
from app.intake import links
from app.intake.models import CheckRequest
from app.intake.services import CONFIRMED_TEMPLATE, OPT_IN_TEMPLATE
from app.scheduling.mails import case_of, common, registry_of
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow


def opt_in_context(row: OutboxMessage) -> dict:
    request = db.session.get(CheckRequest, row.context["request_id"])
    if request is None:
        raise LookupError(f"check request {row.context['request_id']} is gone")  # deleted: the mail is given up
    greeting = f"Guten Tag {request.contact_name}," if request.contact_name else "Guten Tag,"
    return {"request": request, "greeting": greeting, "confirm_url": links.make_url(request),
            "valid_days": links.max_age().days}


def opt_in_sample(case: Case) -> dict:
    """The editor's preview of the opt-in: a request as the case's business would have sent it (the preview's
    savepoint is rolled back, so it is never stored and its link opens nothing)."""
    business, now = case.business, utcnow()
    request = CheckRequest(nonce=secrets.token_urlsafe(32), name=business.name, contact_name=business.contact_name,
                           email=business.email, phone=business.phone, postcode=business.postcode,
                           municipality_id=business.municipality_id, trade_id=business.trade_id,
                           employees=business.employees, consent_text_version=current_app.config[
                               "CONSENT_TEXT_VERSION"], created_at=now, expires_at=now + links.max_age())
    db.session.add(request)
    db.session.flush()
    return {"request_id": request.id}


def confirmed_context(row: OutboxMessage) -> dict:
    return common(case_of(row))


def init_app(app: Flask) -> None:
    mails = registry_of(app)
    mails.builders[OPT_IN_TEMPLATE] = opt_in_context
    mails.builders[CONFIRMED_TEMPLATE] = confirmed_context
    mails.samples[OPT_IN_TEMPLATE] = opt_in_sample
