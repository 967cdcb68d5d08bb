"""The funnel's read model (app.reports.milestones): one row of milestones per case, and the monthly cells the
funnel page sums (counts, and per stage a histogram of the days spent in it)."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime

# The lower bounds (in days) of the histogram buckets of the days in a stage: every day up to 31, then weeks up
# to 13 weeks, then about months up to a year, then half-years up to three years. Percentiles are exact to the
# day up to 30 days and interpolated within a bucket beyond.
BUCKETS = (*range(32), 35, 42, 49, 56, 63, 70, 77, 84, 91, 120, 150, 180, 210, 240, 270, 300, 330, 365,
           456, 548, 730, 1095)
BUCKET_COLUMNS = tuple(f"b{i}" for i in range(len(BUCKETS)))


class CaseMilestone(db.Model):
    """When a case first reached each milestone, where it counts (owner, municipality, trade group, size class),
    and its withdrawal while it stands. Kept by the case hooks; rebuilt from cases and case_events."""

    __tablename__ = "case_milestones"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_id: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(Integer)
    trade_group: Mapped[str] = mapped_column(String(80))
    size_class: Mapped[str] = mapped_column(String(8))
    check_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    workshop_attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    implemented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_from: Mapped[str | None] = mapped_column(String(24))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))
    reopened: Mapped[int] = mapped_column(default=0, server_default="0")


class FunnelCell(db.Model):
    """The sums of one cohort month (yyyymm, Europe/Berlin) for one key of one breakdown (dimension "all" with
    key "", "owner", "group", "town", "size", or "reason" for the withdrawal reasons) and one metric: `n` cases,
    and for a "days:<stage>" metric how many of them spent a number of days in the stage (bucket columns)."""

    __table__ = db.Table(
        "funnel_cells", db.metadata,
        Column("month", Integer, primary_key=True),
        Column("dim", String(8), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("metric", String(48), primary_key=True),
        Column("n", Integer, nullable=False, default=0, server_default="0"),
        *(Column(name, Integer, nullable=False, default=0, server_default="0") for name in BUCKET_COLUMNS),
    )

