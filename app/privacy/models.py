"""The data-protection audit log: who exported, anonymised or ran the retention, and when."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class Action(StrEnum):
    EXPORTED = "exported"  # Art. 15: the business's data downloaded or opened for printing
    ERASED = "erased"  # Art. 17 (on request) or the retention rule: the business anonymised
    RETENTION_RUN = "retention_run"  # the retention rule ran (count in detail)
    RECORD_VIEWED = "record_viewed"  # the Art. 30 record was opened


class PrivacyLog(db.Model):
    """One entry per action; names no person of the business, so it survives the erasure it records."""

    __tablename__ = "privacy_log"
    __table_args__ = (Index("ix_privacy_log_business_action", "business_id", "action"),
                      Index("ix_privacy_log_created", "created_at", "id"),
                      # A business is anonymised once: of two erasures at once the second fails on this index.
                      Index("uq_privacy_log_erased", "business_id", unique=True,
                            sqlite_where=text("action = 'erased'"), postgresql_where=text("action = 'erased'")),
                      one_of("action", Action))

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the retention job
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


def log(action: Action, actor: User | None, business_id: int | None = None, **detail: Any) -> PrivacyLog:
    entry = PrivacyLog(action=action, business_id=business_id, actor_id=actor.id if actor else None,
                       detail=detail, created_at=utcnow())
    db.session.add(entry)
    return entry
