"""The programme's measured impact for the team lead: checks (T0, T1), mean scores per dimension and the
mean change T0→T1 over all re-checked businesses, by trade group and municipality, also in the EU DMA frame.

Everything is aggregated in SQL over the per-case summary and the check scores as rows (app.checks.summary): three
GROUP BY queries by trade group and municipality return a few rows per cell, whatever the number of checks; the
figures of a filter, a trade group or a municipality add up their cells. A business's T0 is its first completed
check; its T1 the latest later re-check of the same questionnaire version.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from app.cases.models import Business, Case
from app.checks import questionnaire as qn
from app.checks.dma import dma_label
from app.checks.models import CaseCheckSummary, CheckScore
from app.checks.summary import DMA_PREFIX
from app.extensions import db
from app.reference.models import Municipality, Trade

OVERALL = "overall"


@dataclass
class Cell:
    """The sums of the businesses of one trade group in one municipality: counts, and per dimension (the
    overall score under OVERALL, a DMA dimension under "dma:<key>") the sum and number of T0 scores and of
    changes T0→T1."""

    t0_checks: int = 0
    t1_checks: int = 0
    rechecked: int = 0
    t0: dict[str, tuple[float, int]] = field(default_factory=dict)
    change: dict[str, tuple[float, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One dimension (or the overall score): mean at T0 over all businesses, and mean change over re-checked ones."""

    key: str
    label: str
    mean_t0: float | None
    mean_change: float | None
    n_t0: int
    n_change: int


@dataclass
class Figures:
    t0_checks: int = 0
    t1_checks: int = 0
    rechecked: int = 0
    overall: Line | None = None
    dimensions: list[Line] = field(default_factory=list)
    dma: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class Breakdown:
    key: str | int
    label: str
    figures: Figures


@dataclass
class Programme:
    figures: Figures
    by_group: list[Breakdown]
    by_municipality: list[Breakdown]
    groups: list[str]
    municipalities: list[tuple[int, str]]
    group: str | None = None  # the filter applied to `figures` (None: all)
    municipality_id: int | None = None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _line(key: str, label: str, cells: list[Cell], dimension: str) -> Line:
    t0 = [cell.t0[dimension] for cell in cells if dimension in cell.t0]
    change = [cell.change[dimension] for cell in cells if dimension in cell.change]
    n_t0, n_change = sum(n for _s, n in t0), sum(n for _s, n in change)
    return Line(key, label, _mean(sum(s for s, _n in t0), n_t0), _mean(sum(s for s, _n in change), n_change),
                n_t0, n_change)


def _by_cell(query: Select) -> Select:
    """Group a query over the summary by trade group and municipality (of the business, as it is now)."""
    return (query.join(Case, Case.id == CaseCheckSummary.case_id).join(Business, Business.id == Case.business_id)
            .join(Trade, Trade.id == Business.trade_id).group_by(Trade.group, Business.municipality_id))


def _cells() -> dict[tuple[str, int], Cell]:
    """Three aggregate queries: counts and overall scores; T0 scores per dimension; changes per dimension."""
    summary = CaseCheckSummary
    cells: dict[tuple[str, int], Cell] = defaultdict(Cell)
    overall_change = summary.t1_overall - summary.t0_overall
    for group, town, t0_checks, rechecks, rechecked, t0_sum, t0_n, change_sum, change_n in db.session.execute(
        _by_cell(select(Trade.group, Business.municipality_id, func.count(), func.sum(summary.rechecks),
                        func.count(summary.t1_check_id), func.sum(summary.t0_overall),
                        func.count(summary.t0_overall), func.sum(overall_change), func.count(overall_change))
                 .select_from(summary))
    ):
        cell = cells[group, town]
        cell.t0_checks, cell.t1_checks, cell.rechecked = t0_checks, rechecks or 0, rechecked
        cell.t0[OVERALL], cell.change[OVERALL] = (t0_sum or 0.0, t0_n), (change_sum or 0.0, change_n)
    t0 = aliased(CheckScore)
    for group, town, dimension, total, count in db.session.execute(
        _by_cell(select(Trade.group, Business.municipality_id, t0.dimension, func.sum(t0.score), func.count(t0.score))
                 .select_from(summary).join(t0, t0.check_id == summary.t0_check_id)).group_by(t0.dimension)
    ):
        cells[group, town].t0[dimension] = (total or 0.0, count)
    t1 = aliased(CheckScore)
    change = t1.score - t0.score
    for group, town, dimension, total, count in db.session.execute(
        _by_cell(select(Trade.group, Business.municipality_id, t0.dimension, func.sum(change), func.count(change))
                 .select_from(summary).join(t0, t0.check_id == summary.t0_check_id)
                 .join(t1, and_(t1.check_id == summary.t1_check_id, t1.dimension == t0.dimension)))
        .group_by(t0.dimension)
    ):
        cells[group, town].change[dimension] = (total or 0.0, count)
    return cells


def _dimension_labels(cells: Iterable[Cell]) -> list[tuple[str, str]]:
    """The current questionnaire's dimensions, then any other key the T0 scores have (older versions)."""
    labels = [(d.key, d.name) for d in qn.load().dimensions]
    known = {key for key, _label in labels} | {OVERALL}
    extra = sorted({key for cell in cells for key in cell.t0 if not key.startswith(DMA_PREFIX)} - known)
    return labels + [(key, key) for key in extra]


def figures_of(cells: list[Cell], dimensions: list[tuple[str, str]]) -> Figures:
    figures = Figures(t0_checks=sum(c.t0_checks for c in cells), t1_checks=sum(c.t1_checks for c in cells),
                      rechecked=sum(c.rechecked for c in cells))
    figures.overall = _line(OVERALL, "", cells, OVERALL)
    figures.dimensions = [_line(key, label, cells, key) for key, label in dimensions]
    figures.dma = [_line(key, dma_label(key), cells, DMA_PREFIX + key) for key in qn.DMA_KEYS]
    return figures


def programme(group: str | None = None, municipality_id: int | None = None) -> Programme:
    """All figures; `figures` for the businesses of one trade group and/or municipality when given (an unknown
    group or municipality filters nothing)."""
    cells = _cells()
    dimensions = _dimension_labels(cells.values())
    groups = list(db.session.scalars(select(Trade.group).distinct().order_by(Trade.group)))
    towns = [(row.id, row.name) for row in db.session.execute(select(Municipality.id, Municipality.name)
                                                              .order_by(Municipality.name))]
    group = group if group in groups else None
    municipality_id = municipality_id if municipality_id in dict(towns) else None
    chosen = [cell for (cell_group, town), cell in cells.items() if (group is None or cell_group == group)
              and (municipality_id is None or town == municipality_id)]
    per_group: dict[str, list[Cell]] = defaultdict(list)
    per_town: dict[int, list[Cell]] = defaultdict(list)
    for (cell_group, town), cell in cells.items():
        per_group[cell_group].append(cell)
        per_town[town].append(cell)
    return Programme(
        figures=figures_of(chosen, dimensions),
        by_group=[Breakdown(name, name, figures_of(per_group[name], dimensions)) for name in groups],
        by_municipality=[Breakdown(town_id, name, figures_of(per_town[town_id], dimensions))
                         for town_id, name in towns],
        groups=groups,
        municipalities=towns,
        group=group,
        municipality_id=municipality_id,
    )
