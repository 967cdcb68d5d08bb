"""The signed link of the double opt-in mail: expires after INTAKE_LINK_MAX_AGE_DAYS, works once.

The same pattern as app.scheduling.links (itsdangerous with a salt of its own, a random nonce, a guarded UPDATE
that uses it up), but the nonce lives on the request row itself: before the confirmation there is neither a
business nor a case for a LinkNonce to name, and deleting an expired request takes its link with it.
"""

from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.intake.models import CheckRequest
from app.scheduling.links import LinkError
from app.timeutil import utcnow

ENDPOINT = "intake.confirm"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="procheck-link-intake-confirm")


def max_age() -> timedelta:
    return timedelta(days=current_app.config["INTAKE_LINK_MAX_AGE_DAYS"])


def make_url(row: CheckRequest) -> str:
    """The absolute confirmation URL (PUBLIC_BASE_URL); works outside a request (the dispatcher renders it)."""
    token = _serializer().dumps({"n": row.nonce})
    path = current_app.url_map.bind("localhost").build(ENDPOINT, {"token": token})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def open_token(token: str) -> CheckRequest:
    """The request a valid link confirms; raises LinkError (forged, expired, used). Changes nothing."""
    try:
        payload = _serializer().loads(token, max_age=max_age().total_seconds())
    except SignatureExpired as error:
        raise LinkError("expired") from error
    except BadData as error:
        raise LinkError("forged") from error
    nonce = payload.get("n") if isinstance(payload, dict) else None
    row = db.session.scalar(select(CheckRequest).where(CheckRequest.nonce == nonce)) if isinstance(nonce, str) else None
    if row is None:
        raise LinkError("expired")  # signed by us, so it existed: an unconfirmed request is deleted when it expires
    if row.confirmed_at is not None:
        raise LinkError("used")
    if row.expires_at <= utcnow():
        raise LinkError("expired")
    return row


def use(row: CheckRequest) -> None:
    """Mark the request confirmed with a guarded UPDATE, so two clicks at once cannot both open a case."""
    now = utcnow()
    claimed = db.session.execute(
        update(CheckRequest).where(CheckRequest.id == row.id, CheckRequest.confirmed_at.is_(None))
        .values(confirmed_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkError("used")
    set_committed_value(row, "confirmed_at", now)
