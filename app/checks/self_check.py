"""The self-check: the business fills in the check itself through a signed link, without an account.

The scout queues the mail with the link; the link opens the case's open draft (or starts one on the
first saved step), stays valid while the business stops and resumes, and is used up only when the
check is submitted; from then on, while it lives, it shows that check's result (read-only). Everything runs
as the system (actor None); the signed link is the authorisation.
"""

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import add_event
from app.checks import answers as ans
from app.checks import services
from app.checks.models import Check
from app.errors import DomainError
from app.extensions import db
from app.scheduling import links, outbox, reminders
from app.scheduling.consent import refusal
from app.scheduling.models import LinkNonce
from app.timeutil import utcnow

PURPOSE = "self_check"
TEMPLATE = "self_check"


class NotSent(DomainError):
    """No self-check mail may go to the business (the reason is German, for the scout)."""

    def __init__(self, reason: str) -> None:
        super().__init__(_l("No self-check link was sent: %(reason)s", reason=reason))


def why_not(case: Case) -> str | None:
    """Why no self-check link can be emailed to the business now, or None when it can."""
    return refusal(case.business)


def send_link(case: Case, actor: User) -> None:
    """Queue the mail with the self-check link (signed when it is sent) and note it on the timeline.

    Raises NotSent, before changing anything, when the business has not consented (or unsubscribed,
    or has no address).
    """
    reason = why_not(case)
    if reason:
        raise NotSent(reason)
    outbox.queue(recipient=case.business.email, audience="business", template_key=TEMPLATE, due_at=utcnow(),
                 unique_key=f"{TEMPLATE}:{case.id}:{secrets.token_hex(8)}", case_id=case.id,
                 context={"case_id": case.id})
    add_event(case, "self_check_sent", actor,
              _("Self-check link emailed to %(email)s.", email=case.business.email))


def open_link(token: str, *, used: bool = False) -> tuple[LinkNonce, Case]:
    """The nonce and the case of a valid self-check link (used: a used one too); raises links.LinkError.
    Changes nothing."""
    row, _payload = links.open_token(PURPOSE, token, allow_used=used)
    case = db.session.get(Case, row.case_id) if row.case_id else None
    if case is None:
        raise links.LinkError("forged")
    return row, case


def submitted_through(token: str) -> tuple[Check, Case]:
    """The check a used link submitted and its case, to show the result again while the link lives (read-only).

    Raises links.LinkError: "used" when the link's check is not known (submitted before links were noted on
    checks, or the business's data was erased since), and as open_link for an unused, expired or forged link.
    """
    row, case = open_link(token, used=True)
    check = db.session.scalar(select(Check).where(Check.link_nonce == row.nonce, Check.case_id == case.id,
                                                  Check.status == "completed"))
    if check is None:
        raise links.LinkError("used")
    return check, case


def draft_for(case: Case) -> Check:
    """The business's own open draft; before its first saved step an unsaved one (opening a link writes nothing).

    A draft a scout started and left unfinished stays the scout's: the business starts with no answer ticked
    instead of seeing (and submitting) answers it never gave.
    """
    return services.open_draft(case.id, by_business=True) or services.new_draft(case, None)


def save(case: Case, check: Check, answers: ans.Answers, resume_at: int | None) -> Check:
    """Save a step's answers, starting the business's draft (no user) on the first save."""
    if check.id is None:
        check = services.new_draft(case, None)
        db.session.add(check)
        db.session.flush()
    services.save_step(check, answers, resume_at)
    return check


def submit(row: LinkNonce, case: Case, check: Check) -> None:
    """Complete the check, use up the link, note it on the timeline and remind the owner to discuss it.

    Raises services.IncompleteCheck before changing anything (also for a draft never saved), and
    services.AlreadyCompleted when the link or the check was used meanwhile: run it inside
    transactions.refusable().
    """
    services.require_complete(check)
    try:
        links.use(row)
    except links.LinkError as used:  # only a submit uses the link up: the check was submitted meanwhile
        raise services.AlreadyCompleted() from used
    add_event(case, "self_check_submitted", None,
              _("The business submitted the self-check through the emailed link."), check_id=check.id)
    reminders.create(case, case.owner_id, utcnow(), _("Discuss the self-check"))
    db.session.flush()
    reminders.sync_next_due(case.id)
    services.complete(check, case, None, move_on=False)
    check.link_nonce = row.nonce  # the link shows this result from now on
    db.session.flush()
