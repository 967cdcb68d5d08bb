"""A digitalisation check taken for a case: answers, scores and the questionnaire version used."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

FIRST = "t0"  # the first check of a case, before support
RECHECK = "t1"  # a later check of the same case, with the first one's questionnaire version


class Check(db.Model):
    __tablename__ = "checks"
    __table_args__ = (
        Index("ix_checks_case_status", "case_id", "status"),
        Index("uq_checks_link_nonce", "link_nonce", unique=True),  # one check per link
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # A check keeps the version it was taken with; a new version never changes old results.
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(2), default=FIRST, server_default=FIRST)  # t0 | t1
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | completed
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The step to resume at: 1..number of dimensions, then one more for the review.
    current_step: Mapped[int] = mapped_column(default=1, server_default="1")
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    overall_score: Mapped[float | None]
    level: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The self-check link it was submitted through: opening that link again shows this result (app.checks.self_check).
    link_nonce: Mapped[str | None] = mapped_column(ForeignKey("link_nonces.nonce"))


DMA_PREFIX = "dma:"  # the dimension key of an EU DMA dimension's score row


class CheckScore(db.Model):
    """One score of a completed check, as a row: a dimension of its questionnaire, or "dma:<key>" for an EU DMA
    dimension (app.checks.dma), so that reports can aggregate in SQL. None: the dimension has no score."""

    __tablename__ = "check_scores"

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(60), primary_key=True)
    score: Mapped[float | None]


class CaseCheckSummary(db.Model):
    """A case's first completed check (T0) and its latest later re-check of the same questionnaire version (T1),
    kept by app.checks.summary whenever a check is completed."""

    __tablename__ = "case_check_summary"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))  # T0's, and so T1's
    t0_check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    t0_overall: Mapped[float | None]
    t1_check_id: Mapped[int | None] = mapped_column(ForeignKey("checks.id"))
    t1_overall: Mapped[float | None]
    rechecks: Mapped[int] = mapped_column(default=0, server_default="0")  # completed re-checks after T0


class ProgrammeCell(db.Model):
    """The programme report's sums for the businesses of one trade group in one municipality, per dimension
    (app.checks.figures keeps them whenever a case's T0/T1 summary or its business's place changes).

    Under the dimension "overall": the number of cases with a T0 check (`cases`), their completed re-checks and
    how many have a T1, beside the overall score's sums; under a questionnaire or "dma:<key>" dimension only the
    sums of the T0 scores and of the changes T0→T1 (and their counts, which leave out missing scores)."""

    __tablename__ = "programme_cells"

    trade_group: Mapped[str] = mapped_column(String(80), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(60), primary_key=True)
    cases: Mapped[int] = mapped_column(default=0, server_default="0")
    rechecks: Mapped[int] = mapped_column(default=0, server_default="0")
    rechecked: Mapped[int] = mapped_column(default=0, server_default="0")
    t0_sum: Mapped[float] = mapped_column(default=0.0, server_default="0")
    t0_n: Mapped[int] = mapped_column(default=0, server_default="0")
    change_sum: Mapped[float] = mapped_column(default=0.0, server_default="0")
    change_n: Mapped[int] = mapped_column(default=0, server_default="0")


class ChangeDay(db.Model):
    """The funder report's T0→T1 sums for the re-checks that became a case's T1 on one day (Berlin), per
    dimension ("overall" for the overall score): cases with both scores and the sums of both (kept by
    app.checks.change_days whenever a case's summary changes)."""

    __tablename__ = "change_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(60), primary_key=True)
    cases: Mapped[int] = mapped_column(default=0, server_default="0")
    t0_sum: Mapped[float] = mapped_column(default=0.0, server_default="0")
    t1_sum: Mapped[float] = mapped_column(default=0.0, server_default="0")


class CaseGap(db.Model):
    """A case's weakest dimensions in its current check (its T1, else its T0): the workshop invitation list reads
    the cases whose gaps lie on a workshop's topics through ix_case_gaps_dimension (kept by app.checks.gaps)."""

    __tablename__ = "case_gaps"
    __table_args__ = (Index("ix_case_gaps_dimension", "dimension", "questionnaire_version", "score", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(60), primary_key=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    score: Mapped[float]
