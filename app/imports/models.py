"""What the import keeps: the column mapping remembered per header set, each import run with its progress, and a
run's dry-run preview rows (personal data: kept only until the run starts or is discarded, see app.imports.cleanup)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class RunStatus(StrEnum):
    CHECKED = "checked"  # uploaded, mapped and dry-run: waits for the user to start it
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportMapping(db.Model):
    """The column mapping last used for a file with exactly these headers (the register's export repeats)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    header_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the normalised header row
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> column index
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportRun(db.Model):
    """One uploaded file: its mapping, the dry run's counts and the real run's progress and counts."""

    __tablename__ = "import_runs"
    __table_args__ = (one_of("status", RunStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))  # the file's name in instance/imports/
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    update_existing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.CHECKED)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when queued and by every batch: a run without progress for long has lost its process (see runs.STALE).
    progressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PreviewRow(db.Model):
    """One of the dry run's first rows that are not simply created, as the file has it (hence texts, unchecked)."""

    __tablename__ = "import_preview_rows"

    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))  # a key of app.imports.rows.REASONS
    name: Mapped[str | None] = mapped_column(Text)
    register_number: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(Text)
