"""Whether a business email may be queued or sent: consent on record and no unsubscribe."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_

from app.cases.models import Business


def refusal(business: Business) -> str | None:
    """Why no email may go to this business now (German), or None when it may."""
    if business.unsubscribed_at is not None:
        return str(_l("The business has unsubscribed from emails."))
    if not business.email_consent:
        return str(_l("The business has not consented to emails."))
    if not business.email:
        return str(_l("The business has no email address."))
    return None


def allows_email() -> ColumnElement[bool]:
    """refusal() as an SQL condition on Business, for lists of businesses that may be mailed."""
    return and_(Business.unsubscribed_at.is_(None), Business.email_consent.is_(True), Business.email != "")
