"""A completed check's scores as rows (check_scores) and each case's T0/T1 summary (case_check_summary), so that
the programme report aggregates in SQL instead of loading every check's JSON scores.

`record(check)` is called by services.complete in the same transaction and passes the summary's change on to the
programme report's sums (app.checks.figures) and the funder report's changes (app.checks.change_days);
`rebuild(connection)` refills both tables from the checks (the migration that adds them, and
`flask procheck rebuild-check-figures`).

A case's T0 is its first completed check (by completion time, then id); its T1 the latest later re-check (kind t1)
with T0's questionnaire version; `rechecks` counts every completed re-check after T0, whatever its version.
"""

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, func, insert, select

from app.checks import change_days, figures, gaps
from app.checks import questionnaire as qn
from app.checks.dma import dma_scores
from app.checks.models import DMA_PREFIX, RECHECK, CaseCheckSummary, Check, CheckScore
from app.extensions import db


class Completed(NamedTuple):
    """What the summary needs of one completed check."""

    id: int
    kind: str
    questionnaire_version: str
    overall_score: float | None


def score_rows(version: str, scores: dict[str, Any] | None) -> list[tuple[str, float | None]]:
    """The rows of one check: each dimension score it has, then the six DMA dimension scores."""
    scores = scores or {}
    dma = dma_scores(qn.load(version), scores)
    return [*scores.items(), *((DMA_PREFIX + key, value) for key, value in dma.items())]


def summarise(case_id: int, completed: Sequence[Completed]) -> dict[str, Any] | None:
    """The summary row of a case from its completed checks in completion order (None without any)."""
    if not completed:
        return None
    first, t1, rechecks = completed[0], None, 0
    for check in completed[1:]:
        if check.kind == RECHECK:
            rechecks += 1
            if check.questionnaire_version == first.questionnaire_version:
                t1 = check
    return dict(case_id=case_id, questionnaire_version=first.questionnaire_version, t0_check_id=first.id,
                t0_overall=first.overall_score, t1_check_id=t1.id if t1 else None,
                t1_overall=t1.overall_score if t1 else None, rechecks=rechecks)


def _completed(case_ids: Any):
    return (select(Check.case_id, Check.id, Check.kind, Check.questionnaire_version, Check.overall_score)
            .where(Check.status == "completed", case_ids)
            .order_by(Check.case_id, Check.completed_at, Check.id))


def record(check: Check) -> None:
    """Write the score rows of a check just completed and bring its case's summary up to date (flushes)."""
    db.session.add_all(CheckScore(check_id=check.id, dimension=key, score=value)
                       for key, value in score_rows(check.questionnaire_version, check.scores))
    refresh(check.case_id)


def refresh(case_id: int) -> None:
    """Recompute one case's summary from its completed checks (a handful of rows)."""
    completed = [Completed(*row[1:]) for row in db.session.execute(_completed(Check.case_id == case_id))]
    values = summarise(case_id, completed)
    summary = db.session.get(CaseCheckSummary, case_id)
    before_values = figures.summary_values(summary)
    before = figures.contribution(before_values)
    if values is None:
        if summary is not None:
            db.session.delete(summary)
    elif summary is None:
        db.session.add(CaseCheckSummary(**values))
    else:
        for name, value in values.items():
            setattr(summary, name, value)
    db.session.flush()
    figures.summary_changed(case_id, before, figures.contribution(values))
    change_days.summary_changed(before_values, values)
    gaps.refresh(case_id)


def _grouped(rows: Iterable[Any]) -> Iterable[tuple[int, list[Completed]]]:
    case_id, completed = None, []
    for row in rows:
        if row[0] != case_id:
            if completed:
                yield case_id, completed
            case_id, completed = row[0], []
        completed.append(Completed(*row[1:]))
    if completed:
        yield case_id, completed


def rebuild(connection: Connection, batch: int = 2000) -> int:
    """Refill check_scores and case_check_summary from the completed checks, a range of case ids at a time (the
    memory stays bounded at any size). Returns the number of cases with a completed check."""
    connection.execute(delete(CaseCheckSummary.__table__))
    connection.execute(delete(CheckScore.__table__))
    last = connection.scalar(select(func.max(Check.case_id))) or 0
    cases = 0
    for low in range(0, last + 1, batch):
        in_range = Check.case_id.between(low, low + batch - 1)
        summaries = [summarise(case_id, completed)
                     for case_id, completed in _grouped(connection.execute(_completed(in_range)))]
        scores = [dict(check_id=check_id, dimension=key, score=value)
                  for check_id, version, values in connection.execute(
                      select(Check.id, Check.questionnaire_version, Check.scores)
                      .where(Check.status == "completed", in_range))
                  for key, value in score_rows(version, values)]
        if summaries:
            connection.execute(insert(CaseCheckSummary.__table__), summaries)
        if scores:
            connection.execute(insert(CheckScore.__table__), scores)
        cases += len(summaries)
    return cases
