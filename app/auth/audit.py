"""The administrators' audit trail: who changed which account, reference data or mail text, and when.

One row per action, written in the action's own transaction (so a refused action leaves no entry). auth is the
lowest package, so every package can record here. Rows are never edited; `what` is a short English key
("user.role_changed"), `target` names the object as the admin saw it, `details` holds the changed values.
"""

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

# What each kind of entry says on the audit page.
LABELS = {
    "user.created": _l("Account created"),
    "user.changed": _l("Account changed"),
    "user.enabled": _l("Account enabled"),
    "user.disabled": _l("Account disabled"),
    "user.password_reset": _l("Password reset"),
    "municipality.created": _l("Municipality added"),
    "municipality.renamed": _l("Municipality renamed"),
    "municipality.deleted": _l("Municipality deleted"),
    "postcode.added": _l("Postcode added"),
    "postcode.removed": _l("Postcode removed"),
    "trade.created": _l("Trade added"),
    "trade.changed": _l("Trade changed"),
    "trade.deleted": _l("Trade deleted"),
    "mail_text.saved": _l("Mail text saved"),
    "mail_text.reset": _l("Mail text reset to the default"),
    "intake.assigned": _l("Scout for public requests set"),
}


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at", "id"),)  # the trail's page: newest first

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    what: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return str(LABELS.get(self.what, self.what))


def record(actor: User | None, what: str, target: str = "", **details: Any) -> AuditEntry:
    """Add an entry to the trail (flushed with the action it records)."""
    entry = AuditEntry(at=utcnow(), actor_id=actor.id if actor else None, what=what, target=target[:300],
                       details={key: value for key, value in details.items() if value is not None})
    db.session.add(entry)
    return entry


def latest(limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)))
