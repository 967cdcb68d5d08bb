"""The public request for the free check: record it and mail the opt-in link; on confirmation attach it to the
business (found by e-mail or by name and postcode, else new) and open a case, or land on its open case; delete
requests nobody confirmed. The operations flush; the request or the job's unit of work commits."""

import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app.cases import consents
from app.cases import services as cases
from app.cases.models import Business, Case
from app.cases.vocab import EventKind
from app.cases.workflow import OPEN_STATES
from app.extensions import db
from app.intake import assignment, links
from app.intake.models import CheckRequest
from app.reference.models import Municipality, Postcode
from app.scheduling import outbox, reminders
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow

OPT_IN_TEMPLATE = "intake_opt_in"
CONFIRMED_TEMPLATE = "intake_confirmed"
REQUEST_FIELDS = ("name", "contact_name", "email", "phone", "postcode", "trade_id", "employees", "message")
DELETE_BATCH = 500


def consent_text() -> str:
    """The consent as the page shows it (the version is config CONSENT_TEXT_VERSION)."""
    return _("I agree that %(chamber)s stores the data of this form to handle my request for the free digitalisation "
             "check and that its process scouts contact me about it and about the programme by email and phone. I "
             "can withdraw this consent at any time, e.g. by email, without giving reasons.",
             chamber=current_app.config["CHAMBER_NAME"])


def municipality_for(postcode: str) -> Municipality | None:
    """The municipality of a postcode of the region (the first by name where it spans two: the scout corrects it);
    None for a postcode outside it."""
    return db.session.scalars(select(Municipality).join(Postcode, Postcode.municipality_id == Municipality.id)
                              .where(Postcode.code == postcode.strip()).order_by(Municipality.name).limit(1)).first()


def districts() -> list[str]:
    """The districts the region covers (for the page that tells a business outside it)."""
    return list(db.session.scalars(select(Municipality.district).distinct().order_by(Municipality.district)))


def submit(values: dict[str, Any], municipality: Municipality, now: datetime | None = None) -> CheckRequest:
    """Store the request and queue the mail with its confirmation link (signed when the mail is sent)."""
    now = now or utcnow()
    clean = {name: values[name].strip() if isinstance(values[name], str) else values[name] for name in REQUEST_FIELDS}
    clean["email"] = clean["email"].lower()
    row = CheckRequest(nonce=secrets.token_urlsafe(32), municipality_id=municipality.id,
                       consent_text_version=current_app.config["CONSENT_TEXT_VERSION"], created_at=now,
                       expires_at=now + links.max_age(), **clean)
    db.session.add(row)
    db.session.flush()
    outbox.queue(recipient=row.email, audience="business", template_key=OPT_IN_TEMPLATE, due_at=now,
                 unique_key=_opt_in_key(row.id), context={"request_id": row.id})
    return row


def _opt_in_key(request_id: int) -> str:
    return f"{OPT_IN_TEMPLATE}:{request_id}"


def existing_business(row: CheckRequest) -> Business | None:
    """The business the request comes from when it is known already: by e-mail first, then by name and postcode.
    Never an anonymised one: a request after an erasure starts afresh."""
    by_email = db.session.scalar(select(Business).where(Business.email == row.email, Business.anonymised_at.is_(None))
                                 .order_by(Business.id).limit(1))
    return by_email or next(iter(cases.similar_businesses(row.name, row.postcode)), None)


def open_case_of(business: Business) -> Case | None:
    return db.session.scalar(select(Case).where(Case.business_id == business.id, Case.state.in_(
        [str(s) for s in OPEN_STATES])).order_by(Case.id.desc()).limit(1))


def _business_values(row: CheckRequest, business: Business | None) -> dict[str, Any]:
    """What the business form would send: a known business keeps its data and gets only what it lacks, plus the
    confirmed address; the consent goes through app.cases.services.fill_business like the staff's form."""
    consent = {"email_consent": True, "email": row.email, "consent_source": _(
        "Online request, confirmed by double opt-in (consent text %(version)s)", version=row.consent_text_version)}
    if business is None:
        return {"name": row.name, "trade_id": row.trade_id, "register_number": None, "street": "",
                "postcode": row.postcode, "municipality_id": row.municipality_id, "contact_name": row.contact_name,
                "phone": row.phone, "employees": row.employees, **consent}
    values = {name: getattr(business, name) for name in cases.BUSINESS_FIELDS}
    for name in ("contact_name", "phone", "employees"):
        if values[name] in (None, ""):
            values[name] = getattr(row, name)
    return {**values, **consent}


def confirm(row: CheckRequest) -> Case:
    """The opt-in link was confirmed: record the consent on the business and put the request on a case (returned).

    Uses the link up first (a second click at once gets LinkError "used"). Run it inside transactions.refusable():
    when nobody can take the case (DomainError) nothing stays, and the link can be confirmed again later.
    """
    links.use(row)
    business = existing_business(row)
    values = _business_values(row, business)
    case = None
    if business is None:
        business = Business()
        cases.fill_business(business, values, None, consents.Source.PUBLIC_REQUEST)
    else:
        cases.update_business(business, values, None, consents.Source.PUBLIC_REQUEST)
        case = open_case_of(business)
    if business.unsubscribed_at is not None:  # asking again ends an earlier unsubscribe: this consent counts now
        business.unsubscribed_at = None
        consents.grant(business, consents.Purpose.EMAIL, consents.Source.PUBLIC_REQUEST, None,
                       text_version=row.consent_text_version)
    new_case = case is None
    if new_case:
        case = cases.open_business_case(business, assignment.owner_for(row.municipality_id), None)
    cases.add_event(case, EventKind.CHECK_REQUESTED, None, row.message, request_id=row.id,
                    contact_name=row.contact_name, email=row.email, phone=row.phone, employees=row.employees)
    title = _("Online request: arrange the check appointment") if new_case else _(
        "Online request on this open case: get in touch with the business")
    reminders.create(case, case.owner_id, utcnow(), title)
    db.session.flush()
    reminders.sync_next_due(case.id)
    outbox.queue(recipient=row.email, audience="business", template_key=CONFIRMED_TEMPLATE, due_at=utcnow(),
                 unique_key=f"{CONFIRMED_TEMPLATE}:{row.id}", case_id=case.id, context={"case_id": case.id})
    _keep_only_the_proof(row, business, case)
    db.session.flush()
    return case


def _keep_only_the_proof(row: CheckRequest, business: Business, case: Case) -> None:
    """The data now lives on the business and the timeline: the request keeps when, which consent text, for whom."""
    row.business_id, row.case_id = business.id, case.id
    # The opt-in mail (sent, with its text) now belongs to the case: what is stored about the business stays findable.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.unique_key == _opt_in_key(row.id))
                       .values(case_id=case.id).execution_options(synchronize_session=False))
    row.name = row.contact_name = row.email = row.phone = row.message = ""
    row.employees = None


def delete_expired(now: datetime | None = None) -> int:
    """Delete the unconfirmed requests whose link has expired, with their opt-in mails; returns how many."""
    now = now or utcnow()
    deleted = 0
    while ids := list(db.session.scalars(select(CheckRequest.id).where(
            CheckRequest.confirmed_at.is_(None), CheckRequest.expires_at <= now).limit(DELETE_BATCH))):
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.unique_key.in_([_opt_in_key(i) for i in ids])))
        db.session.execute(delete(CheckRequest).where(CheckRequest.id.in_(ids)))
        deleted += len(ids)
    return deleted
