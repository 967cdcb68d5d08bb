"""The funder report's change T0→T1 as a read model: per day a T1 was completed (Berlin) and per dimension, the
cases whose T1 and T0 both have the score, and the sums of both scores (change_days). A period's mean change is
then (Σt1 − Σt0) / cases over at most 366 days × dimensions, whatever the number of re-checks.

A case counts on the day of its T1 (the latest re-check, app.checks.summary). `summary.refresh` passes the case's
summary before and after a completion; the difference is added by atomic upserts in the same transaction, so a
second re-check moves the case from the first one's day to its own. `rebuild(connection)` recomputes the table
(migration, CLI, bulk seed); a test holds the kept table equal to a rebuild.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select
from sqlalchemy.orm import aliased

from app import upserts
from app.checks.models import CaseCheckSummary, ChangeDay, Check, CheckScore
from app.extensions import db
from app.timeutil import today_berlin

OVERALL = "overall"
KEYS = ("day", "dimension")
SUMS = ("cases", "t0_sum", "t1_sum")


def _pair(t0: float | None, t1: float | None) -> Counter:
    return Counter(cases=1, t0_sum=t0, t1_sum=t1) if t0 is not None and t1 is not None else Counter()


def contribution(summary: Mapping[str, Any] | None) -> dict[tuple[date, str], Counter]:
    """What one case's summary adds: nothing without a T1; else its pairs of scores on T1's day."""
    if summary is None or summary["t1_check_id"] is None:
        return {}
    t1_id, t0_id = summary["t1_check_id"], summary["t0_check_id"]
    day = today_berlin(db.session.scalar(select(Check.completed_at).where(Check.id == t1_id)))
    scores: dict[int, dict[str, float | None]] = defaultdict(dict)
    for check_id, dimension, score in db.session.execute(
            select(CheckScore.check_id, CheckScore.dimension, CheckScore.score)
            .where(CheckScore.check_id.in_((t0_id, t1_id)))):
        scores[check_id][dimension] = score
    found = {(day, OVERALL): _pair(summary["t0_overall"], summary["t1_overall"])}
    for dimension, t0 in scores[t0_id].items():
        found[day, dimension] = _pair(t0, scores[t1_id].get(dimension))
    return {key: sums for key, sums in found.items() if sums}


def summary_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """Add the difference between a case's contribution before and after a completion."""
    rows: dict[tuple, Counter] = defaultdict(Counter)
    for sign, share in ((-1, contribution(before)), (1, contribution(after))):
        for key, sums in share.items():
            for name, value in sums.items():
                rows[key][name] += sign * value
    upserts.add(ChangeDay.__table__, KEYS, [
        dict(zip(KEYS, key, strict=True), **{name: sums.get(name, 0) for name in SUMS})
        for key, sums in rows.items() if any(sums.values())])


def means(start: date, end: date) -> dict[str, tuple[int, float | None, float | None, float | None]]:
    """Per dimension over the days start..end: cases, mean T0, mean T1, mean change (one GROUP BY)."""
    cases, t0, t1 = func.sum(ChangeDay.cases), func.sum(ChangeDay.t0_sum), func.sum(ChangeDay.t1_sum)
    found = {}
    for dimension, n, t0_sum, t1_sum in db.session.execute(
            select(ChangeDay.dimension, cases, t0, t1).where(ChangeDay.day.between(start, end))
            .group_by(ChangeDay.dimension)):
        if n:
            found[dimension] = (int(n), t0_sum / n, t1_sum / n, (t1_sum - t0_sum) / n)
    return found


# --- rebuilding -------------------------------------------------------------------------------------------------

def from_summaries(connection: Connection) -> dict[tuple, Counter]:
    """The cells as the summaries say: per T1 day, the overall pairs and the pairs per dimension (two queries)."""
    summary, t1_check = CaseCheckSummary, aliased(Check)
    cells: dict[tuple, Counter] = defaultdict(Counter)
    with_t1 = (select(summary.case_id, summary.t0_check_id, summary.t1_check_id, summary.t0_overall,
                      summary.t1_overall, t1_check.completed_at)
               .join(t1_check, t1_check.id == summary.t1_check_id))
    for row in connection.execute(with_t1.where(summary.t0_overall.is_not(None), summary.t1_overall.is_not(None))):
        cells[today_berlin(row.completed_at), OVERALL].update(_pair(row.t0_overall, row.t1_overall))
    s0, s1 = aliased(CheckScore), aliased(CheckScore)
    pairs = (select(t1_check.completed_at, s0.dimension, s0.score, s1.score)
             .select_from(summary).join(t1_check, t1_check.id == summary.t1_check_id)
             .join(s0, s0.check_id == summary.t0_check_id)
             .join(s1, and_(s1.check_id == summary.t1_check_id, s1.dimension == s0.dimension))
             .where(s0.score.is_not(None), s1.score.is_not(None)))
    for completed_at, dimension, t0, t1 in connection.execute(pairs):
        cells[today_berlin(completed_at), dimension].update(_pair(t0, t1))
    return cells


def rebuild(connection: Connection) -> int:
    """Replace change_days with the sums of the summaries; returns the number of cells."""
    connection.execute(delete(ChangeDay.__table__))
    rows = [dict(zip(KEYS, key, strict=True), **{name: sums.get(name, 0) for name in SUMS})
            for key, sums in from_summaries(connection).items()]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(ChangeDay.__table__), rows[start:start + 5000])
    return len(rows)


def snapshot() -> dict[tuple, dict[str, float]]:
    """The table's non-empty cells, rounded (float sums drift in the last bits)."""
    table = ChangeDay.__table__
    return {(row.day, row.dimension): {name: round(getattr(row, name), 6) for name in SUMS}
            for row in db.session.execute(select(table)) if row.cases}
