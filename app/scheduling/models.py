"""Reminders, follow-up rules, the email outbox and single-use link nonces.

The database is the source of truth for everything that is due; the scheduler only ticks.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.cases.vocab import State
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class ReminderState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class RuleAction(StrEnum):
    REMINDER = "reminder"
    EMAIL_BUSINESS = "email_business"
    EMAIL_PARTNER = "email_partner"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Audience(StrEnum):
    BUSINESS = "business"
    PARTNER = "partner"
    STAFF = "staff"


REMINDER_STATES = tuple(ReminderState)
RULE_ACTIONS = tuple(RuleAction)
OUTBOX_STATUSES = tuple(OutboxStatus)


class FollowUpRule(db.Model):
    """On entering `state`, create a reminder for the owner or an email after `delay_days` business days."""

    __tablename__ = "follow_up_rules"
    __table_args__ = (one_of("state", State), one_of("action", RuleAction))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    action: Mapped[str] = mapped_column(String(16))
    delay_days: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200), default="")  # the reminder's title
    template_key: Mapped[str | None] = mapped_column(String(40))  # the email's template
    # A reminder "if no answer": any answer of the business to a follow-up email closes it.
    until_answer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Reminder(db.Model):
    """A Wiedervorlage: an internal task for a scout on a case, due at a time."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_assignee_state_due", "assignee_id", "state", "due_at"),
        Index("ix_reminders_case_state_due", "case_id", "state", "due_at", "id"),  # a case's reminders in order
        # The team's overdue reminders (the lead's review queue, Heute and digest), oldest first.
        Index("ix_reminders_state_due", "state", "due_at", "id"),
        one_of("state", ReminderState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="open")
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_rules.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The case state whose rule made it; leaving that state cancels it.
    source_state: Mapped[str | None] = mapped_column(String(24))
    until_answer: Mapped[bool] = mapped_column(default=False)
    unique_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str] = mapped_column(String(200), default="")

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id], lazy="joined")


# 0 failed, 1 waiting or being sent (needs nothing unless overdue), 2 done (sent or cancelled): the outbox
# page lists ranks 0 and 1 first by default. The same text in the index (its migration) and the query's ORDER BY.
ATTENTION_SQL = "(CASE WHEN status = 'failed' THEN 0 WHEN status IN ('pending', 'sending') THEN 1 ELSE 2 END)"
ATTENTION = literal_column(ATTENTION_SQL, Integer())


class OutboxMessage(db.Model):
    """One email to send (to a business, a partner or a scout); sent once, survives crashes."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The dispatcher's claim (status, due) and the outbox page's order, newest due first, all and by status.
        Index("ix_outbox_status_due_id", "status", "due_at", "id"),
        Index("ix_outbox_due_id", "due_at", "id"),
        # ix_outbox_attention (ATTENTION, due_at, id), the outbox page's default order, is created by the migration
        # f7e8d9c0b1a2 only: PostgreSQL rewords its expression, so it stays out of the models' comparison.
        one_of("status", OutboxStatus),
        one_of("audience", Audience),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    audience: Mapped[str] = mapped_column(String(12))  # business | partner | staff
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    template_key: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict] = mapped_column(db.JSON, default=dict)  # ids the template renders from
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_rules.id"))
    source_state: Mapped[str | None] = mapped_column(String(24))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who holds the lease: each claim writes a new token, and every result is recorded only with it, so a
    # process whose lease ran out (and was recovered by another) can no longer change the row.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # Scheduling the same follow-up twice is impossible: the key is unique.
    unique_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinkNonce(db.Model):
    """The single-use part of a signed link in an email (answer, unsubscribe, self-check)."""

    __tablename__ = "link_nonces"

    nonce: Mapped[str] = mapped_column(String(43), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailText(db.Model):
    """An administrator's wording of a mail template, used instead of templates/mail/<key>.* while it exists.

    Subject, plain text and HTML are Jinja sources, checked before saving and rendered in a sandbox
    (app.scheduling.mail_texts); deleting the row restores the file templates.
    """

    __tablename__ = "mail_texts"

    template_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by: Mapped[User | None] = relationship(lazy="joined")
