"""What the workshop mails show, and the calendar entry the confirmation and the cancellation carry.

Everything is loaded from the ids in the outbox row when the mail is sent; the one-click links are signed
then, and the .ics is made when the message is built (the row stays small).
"""

from flask import Flask

from app.extensions import db
from app.partners.services import active_with_expertise
from app.scheduling import links
from app.scheduling.mails import Attachment, case_of, common, registry_of
from app.scheduling.models import OutboxMessage
from app.workshops import ics
from app.workshops.models import Registration, Workshop
from app.workshops.services import attendances_for_case

PARTNERS_SHOWN = 3


def workshop_thanks(row: OutboxMessage) -> dict:
    case = case_of(row)
    attended = [a.workshop for a in attendances_for_case(case.id)]
    topic_ids = {w.topic_id for w in attended[:1]}
    return {**common(case), "workshops": attended, "partners": active_with_expertise(topic_ids, PARTNERS_SHOWN)}


def _answer_url(case, workshop: Workshop, answer: str, nonce: str | None = None) -> str:
    return links.make_url("workshop", case_id=case.id, business_id=case.business_id, nonce=nonce, w=workshop.id,
                          a=answer)


def workshop_invitation(row: OutboxMessage) -> dict:
    """The invitation: "Ich nehme teil" and "Ich kann nicht" share one nonce (one answer per mail)."""
    case = case_of(row)
    workshop = db.session.get(Workshop, row.context["workshop_id"])
    nonce = links.new_nonce("workshop", case_id=case.id, business_id=case.business_id)
    return {**common(case), "workshop": workshop, "yes_url": _answer_url(case, workshop, "yes", nonce),
            "no_url": _answer_url(case, workshop, "no", nonce)}


def registration_mail(row: OutboxMessage) -> dict:
    """Confirmation, waiting list, cancellation and reminder: the registration, its workshop, a cancel link."""
    case = case_of(row)
    registration = db.session.get(Registration, row.context["registration_id"])
    context = {**common(case), "registration": registration, "workshop": registration.workshop,
               "cancelled": row.context.get("method") == ics.CANCEL}
    if row.template_key != "workshop_cancelled":
        context["cancel_url"] = _answer_url(case, registration.workshop, "no")
    return context


def calendar_attachment(row: OutboxMessage) -> list[Attachment]:
    registration = db.session.get(Registration, row.context["registration_id"])
    method = row.context["method"]
    data = ics.for_registration(registration, row.recipient, method, row.context["sequence"])
    return [Attachment("workshop.ics", "text/calendar", data, (("method", method),))]


def init_app(app: Flask) -> None:
    mails = registry_of(app)
    mails.builders.update({
        "workshop_thanks": workshop_thanks, "workshop_invitation": workshop_invitation,
        "workshop_confirmation": registration_mail, "workshop_waitlisted": registration_mail,
        "workshop_cancelled": registration_mail, "workshop_reminder": registration_mail,
    })
    mails.attachments.update({"workshop_confirmation": calendar_attachment, "workshop_cancelled": calendar_attachment})
