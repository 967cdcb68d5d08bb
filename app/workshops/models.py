"""Workshops where businesses exchange experience, and who attended them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.reference.models import Topic
from app.timeutil import UTCDateTime, utcnow


class Workshop(db.Model):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    topic: Mapped[Topic] = relationship(lazy="joined")


class Attendance(db.Model):
    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("workshop_id", "case_id", name="uq_attendances_workshop_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    workshop: Mapped[Workshop] = relationship(lazy="joined")
