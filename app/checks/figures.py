"""The programme report's read model: sums of T0 scores and of changes T0→T1 per trade group, municipality and
dimension (programme_cells), so that /programme reads a few hundred rows whatever the number of checks.

A case contributes through its T0/T1 summary (app.checks.summary): under "overall" one case, its re-checks, one
re-checked business when it has a T1, and the overall scores; under each dimension its T0 score and, with a T1,
the change. `summary.refresh` passes a case's summary before and after a completion, `on_business_moved` moves a
business's cases to their new cell; both add the difference by atomic upserts (app.upserts) in the same
transaction. `rebuild(connection)` recomputes the table from the summaries (migration, CLI, bulk seed) with three
GROUP BY queries; a test holds the incremental table equal to a rebuild.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select
from sqlalchemy.orm import aliased

from app import upserts
from app.cases.models import Business, Case
from app.checks.models import CaseCheckSummary, CheckScore, ProgrammeCell
from app.extensions import db
from app.reference.models import Trade

OVERALL = "overall"
KEYS = ("trade_group", "municipality_id", "dimension")
SUMS = ("cases", "rechecks", "rechecked", "t0_sum", "t0_n", "change_sum", "change_n")

Contribution = dict[str, Counter]  # dimension -> sums


def _pair(t0: float | None, t1: float | None, has_t1: bool) -> Counter:
    sums = Counter(t0_sum=t0 or 0.0, t0_n=int(t0 is not None))
    if has_t1 and t0 is not None and t1 is not None:
        sums.update(change_sum=t1 - t0, change_n=1)
    return sums


def _scores(check_id: int | None) -> dict[str, float | None]:
    if check_id is None:
        return {}
    return dict(db.session.execute(select(CheckScore.dimension, CheckScore.score)
                                   .where(CheckScore.check_id == check_id)).all())


def contribution(summary: Mapping[str, Any] | None) -> Contribution:
    """What one case's summary (the columns of CaseCheckSummary) adds to its cell; nothing without a T0."""
    if summary is None:
        return {}
    has_t1 = summary["t1_check_id"] is not None
    overall = _pair(summary["t0_overall"], summary["t1_overall"], has_t1)
    overall.update(cases=1, rechecks=summary["rechecks"], rechecked=int(has_t1))
    t1 = _scores(summary["t1_check_id"])
    return {OVERALL: overall, **{dimension: _pair(score, t1.get(dimension), has_t1 and dimension in t1)
                                 for dimension, score in _scores(summary["t0_check_id"]).items()}}


def _place(case_id: int) -> tuple[str, int]:
    return db.session.execute(
        select(Trade.group, Business.municipality_id).join(Business, Business.trade_id == Trade.id)
        .join(Case, Case.business_id == Business.id).where(Case.id == case_id)).one()


def _add(place: tuple[str, int], changes: Contribution, sign: int, rows: dict) -> None:
    for dimension, sums in changes.items():
        cell = rows.setdefault((*place, dimension), Counter())
        for name, value in sums.items():
            cell[name] += sign * value


def _write(rows: dict) -> None:
    upserts.add(ProgrammeCell.__table__, KEYS, [
        dict(zip(KEYS, key, strict=True), **{name: sums.get(name, 0) for name in SUMS})
        for key, sums in rows.items() if any(sums.values())])


def summary_changed(case_id: int, before: Contribution, after: Contribution) -> None:
    """A completion changed a case's summary: add the difference to the case's cell (flushes nothing else)."""
    rows: dict = {}
    place = _place(case_id)
    _add(place, before, -1, rows)
    _add(place, after, 1, rows)
    _write(rows)


def on_business_moved(business: Business, old_municipality_id: int, old_trade_id: int) -> None:
    """The business's cases with a check leave the cell of its old trade group and municipality for the new one."""
    old_place = (db.session.scalar(select(Trade.group).where(Trade.id == old_trade_id)), old_municipality_id)
    new_place = (db.session.scalar(select(Trade.group).where(Trade.id == business.trade_id)), business.municipality_id)
    if old_place == new_place:
        return
    rows: dict = {}
    for summary in db.session.scalars(select(CaseCheckSummary).join(Case, Case.id == CaseCheckSummary.case_id)
                                      .where(Case.business_id == business.id)):
        share = contribution(summary_values(summary))
        _add(old_place, share, -1, rows)
        _add(new_place, share, 1, rows)
    _write(rows)


def summary_values(summary: CaseCheckSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {name: getattr(summary, name) for name in ("t0_check_id", "t0_overall", "t1_check_id", "t1_overall",
                                                      "rechecks")}


# --- rebuilding -------------------------------------------------------------------------------------------------

def _by_cell(query):
    summary = CaseCheckSummary
    return (query.join(Case, Case.id == summary.case_id).join(Business, Business.id == Case.business_id)
            .join(Trade, Trade.id == Business.trade_id).group_by(Trade.group, Business.municipality_id))


def from_summaries(connection: Connection) -> dict[tuple, Counter]:
    """The cells as the summaries say: three aggregate queries (counts and overall; T0 per dimension; changes)."""
    summary = CaseCheckSummary
    cells: dict[tuple, Counter] = defaultdict(Counter)
    overall_change = summary.t1_overall - summary.t0_overall
    for group, town, *sums in connection.execute(_by_cell(select(
            Trade.group, Business.municipality_id, func.count(), func.sum(summary.rechecks),
            func.count(summary.t1_check_id), func.sum(summary.t0_overall), func.count(summary.t0_overall),
            func.sum(overall_change), func.count(overall_change)).select_from(summary))):
        cells[group, town, OVERALL].update(dict(zip(SUMS, (value or 0 for value in sums), strict=True)))
    t0, t1 = aliased(CheckScore), aliased(CheckScore)
    for group, town, dimension, total, count in connection.execute(_by_cell(
            select(Trade.group, Business.municipality_id, t0.dimension, func.sum(t0.score), func.count(t0.score))
            .select_from(summary).join(t0, t0.check_id == summary.t0_check_id)).group_by(t0.dimension)):
        cells[group, town, dimension].update(t0_sum=total or 0.0, t0_n=count)
    change = t1.score - t0.score
    for group, town, dimension, total, count in connection.execute(_by_cell(
            select(Trade.group, Business.municipality_id, t0.dimension, func.sum(change), func.count(change))
            .select_from(summary).join(t0, t0.check_id == summary.t0_check_id)
            .join(t1, and_(t1.check_id == summary.t1_check_id, t1.dimension == t0.dimension)))
            .group_by(t0.dimension)):
        cells[group, town, dimension].update(change_sum=total or 0.0, change_n=count)
    return cells


def rebuild(connection: Connection) -> int:
    """Replace programme_cells with the sums of the summaries; returns the number of cells."""
    connection.execute(delete(ProgrammeCell.__table__))
    rows = [dict(zip(KEYS, key, strict=True), **{name: sums.get(name, 0) for name in SUMS})
            for key, sums in from_summaries(connection).items()]
    if rows:
        connection.execute(insert(ProgrammeCell.__table__), rows)
    return len(rows)


def snapshot() -> dict[tuple, dict[str, float]]:
    """The table's non-empty cells, rounded (tests compare it with a rebuild; float sums drift in the last bits)."""
    table = ProgrammeCell.__table__
    return {tuple(row[:3]): {name: round(value, 6) for name, value in zip(SUMS, row[3:], strict=True)}
            for row in db.session.execute(select(*(table.c[name] for name in (*KEYS, *SUMS))))
            if any(round(value, 6) for value in row[3:])}
