"""The lead's settings for the review queue: after how many working days without activity a case is stuck."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.cases.vocab import State
from app.extensions import db
from app.vocabulary import one_of


class StuckThreshold(db.Model):
    """One state's limit; no row means the default (app.reports.review.DEFAULT_THRESHOLDS), None means not watched."""

    __tablename__ = "stuck_thresholds"
    __table_args__ = (one_of("state", State),)

    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    working_days: Mapped[int | None]
