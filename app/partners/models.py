"""Regional partners with their expertise, and referrals of cases to them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.reference.models import Topic
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class PartnerAnswer(StrEnum):
    """What a partner reports back on a referral through the link in its mail."""

    CONTACTED = "contacted"
    PROJECT_STARTED = "project_started"
    NO_NEED = "no_need"


PARTNER_KINDS = ("university", "mittelstand_digital", "economic_development", "chamber", "service_provider")

partner_topics = Table(
    "partner_topics",
    db.metadata,
    Column("partner_id", ForeignKey("partners.id"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id"), primary_key=True),
)


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(254), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    topics: Mapped[list[Topic]] = relationship(secondary=partner_topics, lazy="selectin")

    @property
    def complete(self) -> bool:
        """Only a partner with an email address and expertise topics can receive referrals."""
        return bool(self.email and self.topics)


class Referral(db.Model):
    """A case handed to a partner for a topic; only with the business's consent.

    The partner's latest answer (through the signed link in its mail) is kept here, every answer on the
    timeline. A referral recorded by mistake is withdrawn, never deleted: it then no longer counts.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        # Covers the per-partner figures (app.partners.figures): one pass over the index, no table reads.
        Index("ix_referrals_partner_figures", "partner_id", "withdrawn_at", "case_id", "topic_id", "created_at",
              "answered_at"),
        one_of("answer", PartnerAnswer),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    consent: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(16))
    answer_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    partner: Mapped[Partner] = relationship(lazy="joined")
    topic: Mapped[Topic] = relationship(lazy="joined")
