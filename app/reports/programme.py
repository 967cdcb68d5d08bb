"""The programme's measured impact for the team lead: checks (T0, T1), mean scores per dimension and the
mean change T0→T1 over all re-checked businesses, by trade group and municipality, also in the EU DMA frame.

Everything is read from the read model programme_cells (app.checks.figures: sums per trade group, municipality
and dimension, kept on every completion): three GROUP BY queries over a few hundred rows, by trade group, by
municipality and for the filter, whatever the number of checks. A business's T0 is its first completed check; its
T1 the latest later re-check of the same questionnaire version.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.checks import questionnaire as qn
from app.checks.dma import dma_label
from app.checks.figures import OVERALL, SUMS
from app.checks.models import DMA_PREFIX, ProgrammeCell
from app.extensions import db
from app.reference.models import Municipality, Trade


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


def _cells(by: list, group: str | None = None, municipality_id: int | None = None) -> dict[Any, Cell]:
    """The programme's sums grouped by the given columns of programme_cells (and the dimension), filtered."""
    pc = ProgrammeCell
    query = select(*by, pc.dimension, *(func.sum(getattr(pc, name)) for name in SUMS)).group_by(*by, pc.dimension)
    if group is not None:
        query = query.where(pc.trade_group == group)
    if municipality_id is not None:
        query = query.where(pc.municipality_id == municipality_id)
    cells: dict[Any, Cell] = defaultdict(Cell)
    for row in db.session.execute(query):
        key, dimension = tuple(row[:len(by)]), row[len(by)]
        sums = dict(zip(SUMS, (value or 0 for value in row[len(by) + 1:]), strict=True))
        cell = cells[key[0] if len(key) == 1 else key]
        if dimension == OVERALL:
            cell.t0_checks, cell.t1_checks, cell.rechecked = sums["cases"], sums["rechecks"], sums["rechecked"]
        cell.t0[dimension] = (sums["t0_sum"], sums["t0_n"])
        cell.change[dimension] = (sums["change_sum"], sums["change_n"])
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
    groups = list(db.session.scalars(select(Trade.group).distinct().order_by(Trade.group)))
    towns = [(row.id, row.name) for row in db.session.execute(select(Municipality.id, Municipality.name)
                                                              .order_by(Municipality.name))]
    group = group if group in groups else None
    municipality_id = municipality_id if municipality_id in dict(towns) else None
    per_group = _cells([ProgrammeCell.trade_group])
    per_town = _cells([ProgrammeCell.municipality_id])
    chosen = list(_cells([], group, municipality_id).values())
    dimensions = _dimension_labels(per_group.values())
    empty = Cell()
    return Programme(
        figures=figures_of(chosen, dimensions),
        by_group=[Breakdown(name, name, figures_of([per_group.get(name, empty)], dimensions)) for name in groups],
        by_municipality=[Breakdown(town_id, name, figures_of([per_town.get(town_id, empty)], dimensions))
                         for town_id, name in towns],
        groups=groups,
        municipalities=towns,
        group=group,
        municipality_id=municipality_id,
    )
