"""A business's request for the free check from the public page, and which scout takes requests per municipality."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.timeutil import UTCDateTime, utcnow


class CheckRequest(db.Model):
    """One request from /anfrage, waiting for its double opt-in until `expires_at`.

    Unconfirmed rows are deleted once they expire (app.intake.services.delete_expired). Confirming copies the data
    into the business and the case timeline and blanks the copies here: what stays is the proof of the opt-in
    (when asked, when confirmed, which consent text, for which business and case).
    """

    __tablename__ = "check_requests"
    __table_args__ = (Index("ix_check_requests_pending_expiry", "confirmed_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(43), unique=True)  # the signed link's single-use part
    name: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    postcode: Mapped[str] = mapped_column(String(5))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"))
    employees: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    consent_text_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    trade: Mapped[Trade] = relationship(lazy="joined")


class IntakeAssignment(db.Model):
    """The scout who takes the confirmed requests from one municipality (when none is set: the least busy)."""

    __tablename__ = "intake_assignments"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    scout_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    scout: Mapped[User] = relationship(lazy="joined")
