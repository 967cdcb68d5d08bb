"""A hand-over too large for one request: queued as a row, worked in batches by the scheduler's worker.

The row holds which cases (the pipeline's filter; an offboarding is the filter "owner = the leaving account"), who
takes them over, the progress (`done` of `total`, and `after_id`, the last case id worked: a worker that died
resumes after it) and the lease of the worker on it (app.reports.handover_worker).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNFINISHED_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
UNFINISHED = "status IN ('queued', 'running')"


class HandoverJob(db.Model):
    __tablename__ = "handover_jobs"
    __table_args__ = (
        one_of("status", JobStatus),
        # One unfinished hand-over per owner, also when two requests queue one at the same moment.
        Index("uq_handover_jobs_unfinished_owner", "from_owner_id", unique=True,
              sqlite_where=text(UNFINISHED), postgresql_where=text(UNFINISHED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The filter: the owner whose cases go (the leaving account), the state and the municipality (None: any).
    from_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str | None] = mapped_column(String(24))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    to_owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # An offboarding: at the end the account's reminders and digests go too and the account is disabled.
    disables_owner: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)  # the read model's count when queued
    done: Mapped[int] = mapped_column(default=0)  # cases worked (moved, or already the new owner's)
    moved: Mapped[int] = mapped_column(default=0)
    after_id: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
