"""Businesses, their cases, the case timeline and the measures a business implemented.

A note is a timeline event of kind "note": the timeline is append-only, so notes are never
edited or deleted (erasure under data protection anonymises instead).
"""

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from app.auth.models import User
from app.cases.vocab import EventKind, MeasureStatus, State
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality, Topic, Trade
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class Business(db.Model):
    __tablename__ = "businesses"
    __table_args__ = (
        Index("ix_businesses_name_postcode", "name", "postcode"),
        # The import matches a row to a business by register number, else by name and postcode.
        Index("ix_businesses_register_number", "register_number"),
        # A public request attaches to an existing business found by its e-mail or by name and postcode
        # (app.intake.services); the names compare case-insensitively, so the postcode is what an index serves.
        Index("ix_businesses_email", "email"),
        Index("ix_businesses_postcode", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), index=True)
    register_number: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    employees: Mapped[int | None]
    email_consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_source: Mapped[str] = mapped_column(String(200), default="")
    # Set by the unsubscribe link; no business email is queued or sent afterwards.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by app.privacy's erasure (Art. 17 or the retention rule) when it anonymised this business: nobody picks,
    # matches or contacts it again (bulk opening, duplicate matching, searches leave it out).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    trade: Mapped[Trade] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")


ANONYMISED = _l("This business has been anonymised: its data can no longer be changed.")


def refuse_anonymised(business: Business) -> None:
    """Nothing writes personal data into an anonymised business again (the business form, a consent)."""
    if business.anonymised_at is not None:
        raise DomainError(ANONYMISED)


class Case(db.Model):
    """One business's journey through the programme.

    The state is read-only here: app.cases.workflow is the only code that changes it.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_owner_state", "owner_id", "state"),
        # The caseload's order, next follow-up first and cases without one last (NULLS LAST written as an
        # expression, so that SQLite and PostgreSQL read the same index in order): per owner and for all.
        Index("ix_cases_owner_due_order", "owner_id", text("(next_due_at IS NULL)"), "next_due_at", "id"),
        Index("ix_cases_due_order", text("(next_due_at IS NULL)"), "next_due_at", "id"),
        Index("ix_cases_state", "state"),
        # The review queue: stuck cases per state, oldest activity first, and cases waiting on the business.
        Index("ix_cases_state_activity", "state", "last_activity_at", "id"),
        Index("ix_cases_awaiting_business", "awaiting_business_since", "state", "id"),
        one_of("state", State),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    _state: Mapped[str] = mapped_column("state", String(24), default="contacted")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept by app.cases.activity whenever a timeline entry is written (never a user edit, so no version bump):
    # the time of the latest entry, and since when a self-check link waits for the business's answer.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    awaiting_business_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    business: Mapped[Business] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    state = synonym("_state", descriptor=property(lambda self: self._state))


class CaseEvent(db.Model):
    """A timeline entry: who (a user, or the system when actor is empty) did what, when."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_created", "case_id", "created_at"), one_of("kind", EventKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Measure(db.Model):
    """Something the business does to become more digital (Maßnahme / Umsetzung)."""

    __tablename__ = "measures"
    __table_args__ = (one_of("status", MeasureStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="implemented")
    implemented_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    topic: Mapped[Topic | None] = relationship(lazy="joined")


class CaseCount(db.Model):
    """The read model of the pipeline (app.cases.readmodel): how many cases are in one cell of
    owner x municipality x trade group x state. Kept in the same transaction as every change."""

    __tablename__ = "case_counts"
    __table_args__ = (one_of("state", State),)

    owner_id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(primary_key=True)
    trade_group: Mapped[str] = mapped_column(String(80), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
