"""Which cases have their weakest dimensions on given topics: the workshop invitation list's query (registered as
app.workshops.hooks.weak_cases), read from case_gaps, a read model of each case's weakest dimensions.

A dimension is among a case's weakest when fewer than WEAKEST dimensions of its current check (its latest re-check,
else its first; the EU DMA's own dimensions left out) score lower. `refresh(case_id)` rewrites the case's rows
whenever its summary changes (app.checks.summary, same transaction); `rebuild(connection)` refills the table.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, Select, and_, delete, false, func, insert, or_, select

from app.checks.models import DMA_PREFIX, CaseCheckSummary, CaseGap, CheckScore
from app.checks.questionnaire import CHECKS_DIR, load
from app.extensions import db

WEAKEST = 2  # a dimension counts when fewer than this many dimensions of the same check score lower


def _dimensions_on(topic_keys: set[str]) -> list[tuple[str, str]]:
    """(questionnaire version, dimension key) of every dimension whose workshop topics meet the topics."""
    versions = sorted(path.stem for path in CHECKS_DIR.glob("v*.json"))
    return [(version, dimension.key) for version in versions for dimension in load(version).dimensions
            if topic_keys & set(dimension.topics)]


def weak_cases(topic_keys: set[str]) -> Select:
    """select(case_id, gap): the cases with a weakest dimension on one of the topics, and its lowest score."""
    pairs = _dimensions_on(topic_keys)
    matching = or_(*(and_(CaseGap.dimension == key, CaseGap.questionnaire_version == version)
                     for version, key in pairs)) if pairs else false()
    return (select(CaseGap.case_id.label("case_id"), func.min(CaseGap.score).label("gap"))
            .where(matching).group_by(CaseGap.case_id))


def weakest(scores: Iterable[tuple[str, float | None]]) -> list[tuple[str, float]]:
    """The (dimension, score) pairs with fewer than WEAKEST other dimensions scoring lower."""
    scored = [(key, score) for key, score in scores if score is not None and not key.startswith(DMA_PREFIX)]
    return [(key, score) for key, score in scored if sum(other < score for _k, other in scored) < WEAKEST]


def _rows(case_id: int, version: str, scores) -> list[dict]:
    return [{"case_id": case_id, "dimension": key, "questionnaire_version": version, "score": score}
            for key, score in weakest(scores)]


def refresh(case_id: int) -> None:
    """Rewrite the case's gaps from its current check (flushes nothing else)."""
    db.session.execute(delete(CaseGap.__table__).where(CaseGap.case_id == case_id))
    summary = db.session.get(CaseCheckSummary, case_id)
    if summary is None:
        return
    current = summary.t1_check_id or summary.t0_check_id
    scores = db.session.execute(select(CheckScore.dimension, CheckScore.score).where(CheckScore.check_id == current))
    rows = _rows(case_id, summary.questionnaire_version, scores.all())
    if rows:
        db.session.execute(insert(CaseGap.__table__), rows)


def rebuild(connection: Connection, batch: int = 5000) -> int:
    """Refill case_gaps from the summaries and scores, a range of case ids at a time; returns the rows."""
    connection.execute(delete(CaseGap.__table__))
    summary = CaseCheckSummary
    current = func.coalesce(summary.t1_check_id, summary.t0_check_id)
    last = connection.scalar(select(func.max(summary.case_id))) or 0
    written = 0
    for low in range(0, last + 1, batch):
        found: dict[tuple[int, str], list] = {}
        for case_id, version, key, score in connection.execute(
                select(summary.case_id, summary.questionnaire_version, CheckScore.dimension, CheckScore.score)
                .join(CheckScore, CheckScore.check_id == current)
                .where(summary.case_id.between(low, low + batch - 1))):
            found.setdefault((case_id, version), []).append((key, score))
        rows = [row for (case_id, version), scores in found.items() for row in _rows(case_id, version, scores)]
        if rows:
            connection.execute(insert(CaseGap.__table__), rows)
        written += len(rows)
    return written
