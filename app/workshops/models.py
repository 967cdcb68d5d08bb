"""Workshops as events, the businesses invited to and registered for them, and who attended."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.reference.models import Topic
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class WorkshopStatus(StrEnum):
    PLANNED = "planned"  # announced, registration not open yet
    OPEN = "open"
    FULL = "full"  # set and cleared by the registrations themselves
    HELD = "held"  # set when the check-in is saved
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


# The statuses that hold one of the workshop's places (Workshop.places_taken counts them).
HOLDS_PLACE = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW)

workshop_topics = Table(
    "workshop_topics", db.metadata,
    Column("workshop_id", ForeignKey("workshops.id"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id"), primary_key=True, index=True),
)


class Workshop(db.Model):
    __tablename__ = "workshops"
    __table_args__ = (one_of("status", WorkshopStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The main topic (reports group by it); `topics` holds it and the further ones.
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    online_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    capacity: Mapped[int] = mapped_column(default=20, server_default="20")
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=WorkshopStatus.OPEN, server_default="open")
    # Changed only by one guarded UPDATE per registration or cancellation, so places are never overbooked.
    places_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The calendar entries' SEQUENCE part of the workshop: raised when its time or place changes.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    description: Mapped[str] = mapped_column(Text, default="")

    topic: Mapped[Topic] = relationship(lazy="joined")
    topics: Mapped[list[Topic]] = relationship(secondary=workshop_topics, lazy="selectin", order_by=Topic.name)

    @property
    def all_topics(self) -> list[Topic]:
        """The topics, at least the main one (a workshop made in code may list no further topics)."""
        return self.topics or [self.topic]


class WorkshopInvitation(db.Model):
    """A business invited to a workshop (once per workshop and case)."""

    __tablename__ = "workshop_invitations"
    __table_args__ = (UniqueConstraint("workshop_id", "case_id", name="uq_workshop_invitations_workshop_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Registration(db.Model):
    """A business's registration for a workshop, from the one-click link or the check-in (walk-in)."""

    __tablename__ = "workshop_registrations"
    __table_args__ = (
        UniqueConstraint("workshop_id", "case_id", name="uq_workshop_registrations_workshop_case"),
        # The check-in list and the waitlist's order (first come, first moved up).
        Index("ix_workshop_registrations_workshop_status_queued", "workshop_id", "status", "queued_at", "id"),
        one_of("status", RegistrationStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The calendar entry's SEQUENCE part of the registration: raised with each change of its status.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    workshop: Mapped[Workshop] = relationship(lazy="joined")


class Attendance(db.Model):
    """That a business attended; withdrawn (never deleted) when it was recorded by mistake."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("workshop_id", "case_id", name="uq_attendances_workshop_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    workshop: Mapped[Workshop] = relationship(lazy="joined")
