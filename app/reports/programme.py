"""The programme's measured impact for the team lead: checks (T0, T1), mean scores per dimension and the
mean change T0→T1 over all re-checked businesses, by trade group and municipality, also in the EU DMA frame.

One query loads every completed check with its case's trade group and municipality (a few columns per
row); the means are computed here, since the scores are JSON. A business's T0 is its first completed
check; its T1 the latest later check of the same questionnaire version.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean

from sqlalchemy import select

from app.cases.models import Business, Case
from app.checks import questionnaire as qn
from app.checks.dma import dma_label, dma_scores
from app.checks.models import RECHECK, Check
from app.extensions import db
from app.reference.models import Municipality, Trade


@dataclass
class CheckedBusiness:
    """One checked business: its T0 and, when re-checked, its T1 (scores per dimension and DMA dimension)."""

    group: str
    municipality_id: int
    t0: dict[str, float | None]
    t0_overall: float | None
    t0_dma: dict[str, float | None]
    t1: dict[str, float | None] | None = None
    t1_overall: float | None = None
    t1_dma: dict[str, float | None] | None = None
    rechecks: int = 0  # completed re-checks (kind t1) of the case


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


def _mean(values: Iterable[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (round(fmean(present), 1) if present else None), len(present)


def _line(key: str, label: str, t0: list[float | None], changes: list[float | None]) -> Line:
    mean_t0, n_t0 = _mean(t0)
    mean_change, n_change = _mean(changes)
    return Line(key, label, mean_t0, mean_change, n_t0, n_change)


def _change(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _businesses() -> list[CheckedBusiness]:
    rows = db.session.execute(
        select(Check.case_id, Check.kind, Check.questionnaire_version, Check.scores, Check.overall_score,
               Trade.group, Business.municipality_id)
        .join(Case, Case.id == Check.case_id).join(Business, Business.id == Case.business_id)
        .join(Trade, Trade.id == Business.trade_id)
        .where(Check.status == "completed").order_by(Check.case_id, Check.completed_at, Check.id)
    )
    found: dict[int, CheckedBusiness] = {}
    versions: dict[int, str] = {}
    for case_id, kind, version, scores, overall, group, municipality_id in rows:
        questionnaire = qn.load(version)
        scores = scores or {}
        if case_id not in found:
            found[case_id] = CheckedBusiness(group, municipality_id, scores, overall, dma_scores(questionnaire, scores))
            versions[case_id] = version
            continue
        business = found[case_id]
        business.rechecks += kind == RECHECK
        if kind == RECHECK and version == versions[case_id]:
            business.t1, business.t1_overall = scores, overall
            business.t1_dma = dma_scores(questionnaire, scores)
    return list(found.values())


def _dimension_labels(businesses: list[CheckedBusiness]) -> list[tuple[str, str]]:
    """The current questionnaire's dimensions, then any other key the stored scores have (older versions)."""
    labels = [(d.key, d.name) for d in qn.load().dimensions]
    known = {key for key, _label in labels}
    extra = sorted({key for b in businesses for key in b.t0} - known)
    return labels + [(key, key) for key in extra]


def figures_of(businesses: list[CheckedBusiness], dimensions: list[tuple[str, str]]) -> Figures:
    pairs = [b for b in businesses if b.t1 is not None]
    figures = Figures(t0_checks=len(businesses), t1_checks=sum(b.rechecks for b in businesses), rechecked=len(pairs))
    figures.overall = _line("overall", "", [b.t0_overall for b in businesses],
                            [_change(b.t0_overall, b.t1_overall) for b in pairs])
    figures.dimensions = [
        _line(key, label, [b.t0.get(key) for b in businesses], [_change(b.t0.get(key), b.t1.get(key)) for b in pairs])
        for key, label in dimensions
    ]
    figures.dma = [
        _line(key, dma_label(key), [b.t0_dma[key] for b in businesses],
              [_change(b.t0_dma[key], b.t1_dma[key]) for b in pairs])
        for key in qn.DMA_KEYS
    ]
    return figures


def programme(group: str | None = None, municipality_id: int | None = None) -> Programme:
    """All figures; `figures` for the businesses of one trade group and/or municipality when given (an unknown
    group or municipality filters nothing)."""
    businesses = _businesses()
    dimensions = _dimension_labels(businesses)
    groups = list(db.session.scalars(select(Trade.group).distinct().order_by(Trade.group)))
    towns = [(row.id, row.name) for row in db.session.execute(select(Municipality.id, Municipality.name)
                                                              .order_by(Municipality.name))]
    group = group if group in groups else None
    municipality_id = municipality_id if municipality_id in dict(towns) else None
    chosen = [b for b in businesses if (group is None or b.group == group)
              and (municipality_id is None or b.municipality_id == municipality_id)]
    per_group: dict[str, list[CheckedBusiness]] = defaultdict(list)
    per_town: dict[int, list[CheckedBusiness]] = defaultdict(list)
    for business in businesses:
        per_group[business.group].append(business)
        per_town[business.municipality_id].append(business)
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
