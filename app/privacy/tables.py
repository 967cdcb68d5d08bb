"""The tables of the packages below privacy that hold data about a business (registered in privacy.init_app).

What erasure keeps is what the funder's report and the programme figures count: cases with their states and
dates, milestones, checks with their answers and scores, measures' topics and statuses, attendances, referrals'
partners and topics, and the business's trade, municipality and number of employees (its size class).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import and_, case, delete, func, or_, select, update

from app.cases.consents import Consent
from app.cases.models import Business, Case, CaseEvent, Measure
from app.checks.models import Check
from app.extensions import db
from app.imports.models import PreviewRow
from app.intake.models import CheckRequest
from app.partners.models import Referral
from app.privacy import registry
from app.privacy.registry import Erasure, PersonalTable, by_business, by_case
from app.reports import milestones
from app.reports.funnel_models import CaseMilestone
from app.scheduling.models import LinkNonce, OutboxMessage, Reminder
from app.timeutil import utcnow
from app.workshops.models import Attendance, Registration, WorkshopInvitation

ANONYMOUS_NAME = "Anonymisierter Betrieb"
REMOVED = "–"  # a required text that had personal content


def _links_of(table, ids):
    return or_(by_business("business_id")(table, ids), by_case("case_id")(table, ids))


def _used_now(table):
    return func.coalesce(table.c.used_at, utcnow())


def _previews_of(table, ids):
    """An import's dry-run rows name a business as the file has it: by register number, or by name and postcode."""
    return select(Business.id).where(Business.id.in_(ids), or_(
        Business.register_number == table.c.register_number,
        and_(Business.name == table.c.name, Business.postcode == table.c.postcode))).exists()


def _cancel_pending(table):
    return case((table.c.status == "pending", "cancelled"), else_=table.c.status)


def register(app: Flask) -> None:
    privacy = registry.of(app)
    for entry in (
        PersonalTable(Business.__table__, _l("Business"), lambda table, ids: table.c.id.in_(ids), order=10, erase={
            "name": ANONYMOUS_NAME, "register_number": None, "street": "", "postcode": "", "contact_name": "",
            "phone": "", "email": "", "email_consent": False, "consent_at": None, "consent_source": ""}),
        PersonalTable(Consent.__table__, _l("Consents"), by_business("business_id"), {"note": ""}, order=20),
        PersonalTable(Case.__table__, _l("Cases"), by_business("business_id"), order=30),
        PersonalTable(CaseEvent.__table__, _l("Timeline"), by_case("case_id"), {"text": ""}, ("data",), order=40),
        # Its self-check link no longer shows the result (the link stops working below).
        PersonalTable(Check.__table__, _l("Checks with answers"), by_case("case_id"), {"link_nonce": None},
                      ("answers",), order=50),
        PersonalTable(Measure.__table__, _l("Measures"), by_case("case_id"), {"description": REMOVED}, order=60),
        PersonalTable(Attendance.__table__, _l("Workshop attendances"), by_case("case_id"),
                      {"withdrawn_reason": ""}, order=70),
        PersonalTable(Registration.__table__, _l("Workshop registrations"), by_case("case_id"), order=71),
        PersonalTable(WorkshopInvitation.__table__, _l("Workshop invitations"), by_case("case_id"), order=72),
        PersonalTable(Referral.__table__, _l("Referrals"), by_case("case_id"),
                      {"note": "", "answer_note": "", "withdraw_reason": ""}, order=80),
        PersonalTable(OutboxMessage.__table__, _l("Emails"), by_case("case_id"), {
            "recipient": "", "subject": "", "body_text": "", "body_html": "", "last_error": "",
            "status": _cancel_pending}, ("context",), order=90),
        PersonalTable(Reminder.__table__, _l("Reminders"), by_case("case_id"),
                      {"title": REMOVED, "close_reason": ""}, order=100),
        PersonalTable(CaseMilestone.__table__, _l("Funnel figures"), by_case("case_id"), order=110),
        PersonalTable(CheckRequest.__table__, _l("Requests from the public page"), by_business("business_id"),
                      {"name": "", "contact_name": "", "email": "", "phone": "", "message": ""}, order=115),
        # A link the business still holds (answer, self-check, unsubscribe) stops working.
        PersonalTable(LinkNonce.__table__, _l("Links in emails"), _links_of, {"used_at": _used_now}, order=120),
        # Erased by _forget_import_previews: by then the business's own name and number are already anonymised.
        PersonalTable(PreviewRow.__table__, _l("Import previews"), _previews_of, order=130),
    ):
        privacy.add(entry)
    privacy.extra_erasers.extend((_forget_withdrawal_reasons, _scrub_staff_mails, _forget_import_previews))


def _forget_withdrawal_reasons(erasure: Erasure) -> None:
    milestones.forget_withdrawal_reasons(erasure.case_ids)


def _forget_import_previews(erasure: Erasure) -> None:
    """Delete the dry-run rows that name the businesses (a preview lives only until its run starts anyway)."""
    values = list(erasure.identifiers.values)
    if values:
        db.session.execute(delete(PreviewRow).where(or_(PreviewRow.name.in_(values),
                                                        PreviewRow.register_number.in_(values))))


def staff_mails_naming(values) -> list:
    """The condition for staff mails (morning digests list business names) that quote one of the values."""
    outbox = OutboxMessage.__table__
    return [outbox.c.audience == "staff", or_(*(
        column.contains(text, autoescape=True) for value in values
        for column, text in ((outbox.c.body_text, value), (outbox.c.body_html, str(escape(value))))))]


def _scrub_staff_mails(erasure: Erasure) -> None:
    """Replace the business's identifiers in staff mails: a digest lists many businesses, only this one goes.

    One scan of the outbox per erasure (all identifiers at once); the retention's bulk run empties sent digests
    once instead."""
    if erasure.bulk or not erasure.identifiers.values:
        return
    outbox = OutboxMessage.__table__
    text, html = outbox.c.body_text, outbox.c.body_html
    for value in sorted(erasure.identifiers.values, key=len, reverse=True):  # "Anna Berg GmbH" before "Anna Berg"
        text, html = db.func.replace(text, value, REMOVED), db.func.replace(html, str(escape(value)), REMOVED)
    db.session.execute(update(outbox).where(*staff_mails_naming(erasure.identifiers.values))
                       .values(body_text=text, body_html=html))
