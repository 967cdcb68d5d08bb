"""Signed, expiring links in emails (unsubscribe, one-click answers, the self-check).

A token is signed with the app's SECRET_KEY and a salt per purpose, so a token of one purpose
never opens another. Its payload carries a random nonce stored as a LinkNonce row: the row says
which case and business the link belongs to, and its used_at makes the link single-use. An answer
link is the exception: the business may change its answer while the link lives (the latest counts),
so using it only moves used_at on.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.scheduling.models import LinkNonce
from app.timeutil import utcnow

# purpose -> (endpoint that opens it, config key of its lifetime in days, default days)
PURPOSES = {
    "answer": ("public.answer", "LINK_ANSWER_MAX_AGE_DAYS", 90),
    "unsubscribe": ("public.unsubscribe", "LINK_UNSUBSCRIBE_MAX_AGE_DAYS", 365),
    # Valid until the check is submitted (the business may stop and resume): used only at the final submit.
    "self_check": ("self_check.start", "LINK_SELF_CHECK_MAX_AGE_DAYS", 30),
    # "Ich nehme teil" / "Ich kann nicht" for a workshop; its registration deadline limits it further.
    "workshop": ("workshop_public.respond", "LINK_WORKSHOP_MAX_AGE_DAYS", 90),
}
REUSABLE = {"answer"}  # used_at is the time of the latest use, not the end of the link


class LinkError(Exception):
    """The link cannot be used: kind is forged, expired or used."""

    STATUS = {"forged": 400, "expired": 410, "used": 410}

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    @property
    def status(self) -> int:
        return self.STATUS[self.kind]


def serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"procheck-link-{purpose}")


def max_age(purpose: str) -> timedelta:
    _endpoint, key, default = PURPOSES[purpose]
    return timedelta(days=float(current_app.config.get(key, default)))


def valid_until(row: LinkNonce) -> datetime:
    """When the links of this nonce stop working (they are signed when the nonce is made)."""
    return row.created_at + max_age(row.purpose)


def new_nonce(purpose: str, *, case_id: int | None = None, business_id: int | None = None) -> str:
    """Store a fresh nonce; several links of one mail may share it (one answer per mail)."""
    nonce = secrets.token_urlsafe(32)
    db.session.add(LinkNonce(nonce=nonce, purpose=purpose, case_id=case_id, business_id=business_id,
                             created_at=utcnow()))
    return nonce


def make_token(purpose: str, *, case_id: int | None = None, business_id: int | None = None,
               nonce: str | None = None, **data) -> str:
    nonce = nonce or new_nonce(purpose, case_id=case_id, business_id=business_id)
    return serializer(purpose).dumps({"n": nonce, **data})


def make_url(purpose: str, *, case_id: int | None = None, business_id: int | None = None,
             nonce: str | None = None, **data) -> str:
    """The absolute URL (PUBLIC_BASE_URL) of a new signed link; works outside a request (the dispatcher)."""
    token = make_token(purpose, case_id=case_id, business_id=business_id, nonce=nonce, **data)
    path = current_app.url_map.bind("localhost").build(PURPOSES[purpose][0], {"token": token})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def open_token(purpose: str, token: str, *, allow_used: bool = False) -> tuple[LinkNonce, dict]:
    """Check the signature, the age and the nonce (allow_used: a used one too); raises LinkError. Changes nothing."""
    try:
        payload = serializer(purpose).loads(token, max_age=max_age(purpose).total_seconds())
    except SignatureExpired as error:
        raise LinkError("expired") from error
    except BadData as error:
        raise LinkError("forged") from error
    nonce_value = payload.get("n") if isinstance(payload, dict) else None
    row = db.session.get(LinkNonce, nonce_value) if isinstance(nonce_value, str) else None
    if row is None or row.purpose != purpose:
        raise LinkError("forged")  # signed by us, but its nonce is unknown (e.g. erased data)
    if row.used_at is not None and purpose not in REUSABLE and not allow_used:
        raise LinkError("used")
    return row, payload


def use(row: LinkNonce) -> None:
    """Mark the nonce used with a guarded UPDATE, so two clicks at once cannot both count; raises LinkError.

    A reusable link's UPDATE only records the time: it locks the row, so two answers at once take turns.
    """
    now = utcnow()
    guard = LinkNonce.nonce == row.nonce
    if row.purpose not in REUSABLE:
        guard = guard & LinkNonce.used_at.is_(None)
    claimed = db.session.execute(update(LinkNonce).where(guard)
                                 .values(used_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkError("used")
    set_committed_value(row, "used_at", now)
