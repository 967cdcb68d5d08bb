"""A business's one-click answer to a workshop invitation (or its cancel link): register or decline."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.cases.models import Case
from app.cases.services import add_event
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.inputs import parse_int
from app.scheduling import links
from app.scheduling.models import LinkNonce
from app.timeutil import utcnow
from app.workshops import registrations
from app.workshops.models import Registration, Workshop

YES, NO = "yes", "no"


def open_link(token: str) -> tuple[LinkNonce, Workshop, Case, str]:
    """The link's nonce, workshop, case and pre-chosen answer; raises links.LinkError. Changes nothing."""
    nonce, payload = links.open_token("workshop", token)
    workshop_id = parse_int(str(payload.get("w", "")))
    workshop = db.session.get(Workshop, workshop_id) if workshop_id else None
    case = db.session.get(Case, nonce.case_id) if nonce.case_id else None
    if workshop is None or case is None:
        raise links.LinkError("forged")  # signed by us, but the workshop or case is gone (erased data)
    answer = payload.get("a") if payload.get("a") in (YES, NO) else YES
    return nonce, workshop, case, answer


def respond(nonce: LinkNonce, workshop: Workshop, case: Case, answer: str) -> Registration | None:
    """Use the link once and register (a place or the waiting list) or withdraw; raises LinkError or DomainError."""
    links.use(nonce)
    if answer == YES:
        return registrations.register(case, workshop)
    if workshop.starts_at <= utcnow():
        raise DomainError(_l("This workshop has already taken place."))
    registration = registrations.find(workshop.id, case.id)
    if registration is not None and registration.status in registrations.ACTIVE:
        registrations.cancel(registration)
        return registration
    add_event(case, EventKind.WORKSHOP_REGISTRATION, None,
              _("Declined the invitation to the workshop “%(title)s”.", title=workshop.title),
              workshop_id=workshop.id, status="declined")
    return registration
