"""The partner's report on a referral, through a signed link in its referral mail (no account needed).

The link names one referral and is signed with the app's SECRET_KEY under a salt of its own, so no other
link of the app opens it. Unlike the business's one-click links it is not single-use: within its lifetime
(90 days) the partner may come back and update its answer; the latest answer counts, each one is on the
case timeline.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update

from app.cases.models import Case
from app.cases.services import add_event
from app.cases.vocab import EventKind
from app.extensions import db
from app.inputs import DB_INT_MAX
from app.partners.models import PartnerAnswer, Referral
from app.partners.services import close_answer_reminder
from app.timeutil import utcnow

ANSWERS = {
    PartnerAnswer.CONTACTED: _l("Contact made"),
    PartnerAnswer.PROJECT_STARTED: _l("Project started"),
    PartnerAnswer.NO_NEED: _l("No need / not a fit"),
}
assert set(ANSWERS) == set(PartnerAnswer), "every answer needs its label"
MAX_AGE = timedelta(days=90)  # the lifetime of the partner's link, counted from sending the mail


class AnswerLinkError(Exception):
    """The link cannot be used: kind is forged (400), expired (410) or withdrawn (410)."""

    STATUS = {"forged": 400, "expired": 410, "withdrawn": 410}

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = self.STATUS[kind]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="procheck-link-partner-answer")


def make_url(referral: Referral) -> str:
    """The absolute URL (PUBLIC_BASE_URL) of the referral's answer link; works outside a request (the dispatcher)."""
    token = _serializer().dumps({"r": referral.id, "p": referral.partner_id})
    path = current_app.url_map.bind("localhost").build("partners.answer", {"token": token})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def open_link(token: str) -> Referral:
    """The referral the link was made for; raises AnswerLinkError. Changes nothing."""
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE.total_seconds())
    except SignatureExpired as error:
        raise AnswerLinkError("expired") from error
    except BadData as error:
        raise AnswerLinkError("forged") from error
    referral_id = payload.get("r") if isinstance(payload, dict) else None
    in_range = type(referral_id) is int and 1 <= referral_id <= DB_INT_MAX  # a bigger id would fail in PostgreSQL
    referral = db.session.get(Referral, referral_id) if in_range else None
    if referral is None or referral.partner_id != payload.get("p"):
        raise AnswerLinkError("forged")  # signed by us, but the referral is gone (erased data)
    if referral.withdrawn_at is not None:
        raise AnswerLinkError("withdrawn")
    return referral


def answer_label(answer: str) -> str:
    return str(ANSWERS[answer])


def record(referral: Referral, answer: str, note: str) -> None:
    """Keep the partner's latest answer on the referral, note it on the timeline, close the waiting reminder."""
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    note = (note or "").strip()
    # Guarded: a referral withdrawn while the partner filled in the form takes no answer.
    stored = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.withdrawn_at.is_(None))
        .values(answer=answer, answer_note=note, answered_at=utcnow()).execution_options(synchronize_session=False))
    if stored.rowcount != 1:
        raise AnswerLinkError("withdrawn")
    db.session.refresh(referral)
    label = answer_label(answer)
    text = _("%(partner)s reports on the referral for “%(topic)s”: %(answer)s", partner=referral.partner.name,
             topic=referral.topic.name, answer=label)
    if note:
        text += " " + _("Note: %(note)s", note=note)
    add_event(db.session.get(Case, referral.case_id), EventKind.REFERRAL_ANSWERED, None, text,
              referral_id=referral.id, answer=answer)
    close_answer_reminder(referral, "done", _("The partner answered: %(answer)s", answer=label))
    db.session.flush()
