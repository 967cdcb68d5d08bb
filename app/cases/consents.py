"""Consent as records: what the business agreed to, when, how, to which text version, and when it withdrew.

Business.email_consent stays the current state that every query reads (one column, no join); this table is
the proof behind it. `record_email_consent` keeps both in step and is the only writer of consent records for
emails; other purposes (a referral's data passing) are granted with `grant`.
"""

from datetime import datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import ForeignKey, Index, String, exists, func, insert, literal, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.cases.models import Business, refuse_anonymised
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class Purpose(StrEnum):
    EMAIL = "email"  # emails from the programme (Art. 6(1)(a) GDPR)
    REFERRAL = "referral"  # passing the business's data to a partner


class Source(StrEnum):
    FORM = "form"  # recorded by staff in the business form (by phone, on a visit ...: the note says how)
    PUBLIC_REQUEST = "public_request"  # the business's own request on the public page
    LINK = "link"  # a link in an email (unsubscribe)
    BACKFILL = "backfill"  # from the consent columns, before consents were records


class Consent(db.Model):
    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_business_purpose", "business_id", "purpose", "granted_at"),
                      one_of("purpose", Purpose), one_of("source", Source))

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")  # how it was given, in the staff's words
    text_version: Mapped[str] = mapped_column(String(40), default="")  # the consent text the business agreed to
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    business: Mapped[Business] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id], lazy="joined")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="joined")


def grant(business: Business, purpose: Purpose, source: Source, actor: User | None, note: str = "",
          text_version: str | None = None, at: datetime | None = None) -> Consent:
    """Add a consent record (the business may be new: the record follows it into the session)."""
    refuse_anonymised(business)
    consent = Consent(business=business, purpose=purpose, source=source, note=note[:200], granted_at=at or utcnow(),
                      text_version=current_app.config["CONSENT_TEXT_VERSION"] if text_version is None
                      else text_version, recorded_by_id=actor.id if actor else None)
    db.session.add(consent)
    return consent


def withdraw(business: Business, purpose: Purpose, actor: User | None) -> int:
    """Mark the business's open consents for a purpose as withdrawn now; returns how many."""
    if business.id is None:
        return 0
    open_ones = db.session.scalars(select(Consent).where(
        Consent.business_id == business.id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None)))
    count = 0
    for consent in open_ones:
        consent.withdrawn_at, consent.withdrawn_by_id = utcnow(), actor.id if actor else None
        count += 1
    return count


def record_email_consent(business: Business, had_consent: bool, actor: User | None, source: Source) -> None:
    """Keep the records in step with Business.email_consent after it was set (the caller set the column)."""
    if business.email_consent and not had_consent:
        business.consent_at = utcnow()
        grant(business, Purpose.EMAIL, source, actor, business.consent_source, at=business.consent_at)
    elif not business.email_consent and had_consent:
        business.consent_at = None
        withdraw(business, Purpose.EMAIL, actor)


def record_bulk_consents() -> None:
    """The demo seeds write businesses with email consent directly: give each one without a record its record."""
    db.session.flush()
    db.session.execute(insert(Consent).from_select(
        ["business_id", "purpose", "granted_at", "source", "note", "text_version"],
        select(Business.id, literal(Purpose.EMAIL.value), Business.consent_at, literal(Source.FORM.value),
               func.substr(Business.consent_source, 1, 200), literal(current_app.config["CONSENT_TEXT_VERSION"]))
        .where(Business.email_consent, Business.consent_at.is_not(None),
               ~exists().where(Consent.business_id == Business.id))))


def history(business_id: int) -> list[Consent]:
    """The business's consent records, newest first (a business has a handful)."""
    return list(db.session.scalars(select(Consent).where(Consent.business_id == business_id)
                                   .order_by(Consent.granted_at.desc(), Consent.id.desc())))
