"""The funder's report for a period: one function computes every figure (`funder_report`), and `tables()` lays
the result out as the tables that the page, the XLSX file, the CSV file and the CLI all render unchanged.

Every figure is an aggregate query (COUNT … GROUP BY) over a read model: the distinct businesses (supported,
reached, referred) per month, quarter, year or programme year from app.reports.support (counted live over the
base tables for any other period), the plain counts per day from app.reports.day_counts, the changes T0→T1 from
their sums per day (app.checks.change_days); nothing loads rows one by one. Definitions (shown with each table):

- supported business: a business with a milestone in the period: a completed check (first or re-check), an
  attendance at a workshop held in the period, a referral made in the period (and not withdrawn) or a measure
  implemented in it. Counted once however many milestones it has; its size class, trade and municipality are
  today's.
- EU size class (Recommendation 2003/361/EC, by employees only): micro < 10, small < 50, medium < 250,
  large from 250, unknown without a number.
- first checks (T0) and re-checks (T1): checks of that kind completed in the period.
- change T0→T1: for each case whose re-check (T1, the latest one with T0's questionnaire) was completed in the
  period, T1's score minus T0's, averaged over the cases that have both scores.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, func, literal, select

from app.cases.models import Business, Case
from app.checks import change_days
from app.checks import questionnaire as qn
from app.checks.dma import dma_label
from app.checks.models import DMA_PREFIX, FIRST, RECHECK
from app.extensions import db
from app.partners.models import PARTNER_KINDS, Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.reports import day_counts, support
from app.reports.period import Period
from app.timeutil import utcnow
from app.workshops.models import Workshop

SIZE_CLASSES = {
    "micro": _l("Micro enterprise (fewer than 10 employees)"),
    "small": _l("Small enterprise (10 to 49 employees)"),
    "medium": _l("Medium-sized enterprise (50 to 249 employees)"),
    "large": _l("Large enterprise (250 employees or more)"),
    "unknown": _l("Number of employees unknown"),
}
ANNEXES = {"A": _l("Annex A (master craftsman required)"), "B1": _l("Annex B1 (no master required)"),
           "B2": _l("Annex B2 (craft-like trades)")}

# Column formats of a table: a label, a whole number, a mean (one decimal), a signed change, a share in percent.
TEXT, INT, DEC, CHANGE, PCT = "text", "int", "dec", "change", "pct"


def size_class(employees):
    """The EU size class as SQL (a CASE over businesses.employees); milestones.size_class is the same in Python."""
    return case((employees.is_(None), "unknown"), (employees < 10, "micro"), (employees < 50, "small"),
                (employees < 250, "medium"), else_="large")


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    cases: int
    mean_t0: float | None
    mean_t1: float | None
    mean_change: float | None


@dataclass
class FunderReport:
    period: Period
    generated_at: datetime
    supported: int = 0
    by_size: dict[str, int] = field(default_factory=dict)
    by_annex: dict[str, int] = field(default_factory=dict)
    by_group: dict[str, int] = field(default_factory=dict)
    by_municipality: dict[str, int] = field(default_factory=dict)
    first_checks: int = 0
    rechecks: int = 0
    changes: list[Change] = field(default_factory=list)
    dma_changes: list[Change] = field(default_factory=list)
    workshops: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic -> (held, participations)
    referrals: dict[str, tuple[int, int]] = field(default_factory=dict)  # partner kind -> (referrals, businesses)
    measures: dict[str, int] = field(default_factory=dict)  # topic -> implemented measures

    @property
    def workshops_held(self) -> int:
        return sum(held for held, _n in self.workshops.values())

    @property
    def participations(self) -> int:
        return sum(n for _held, n in self.workshops.values())

    @property
    def referral_count(self) -> int:
        return sum(n for n, _b in self.referrals.values())

    @property
    def measure_count(self) -> int:
        return sum(self.measures.values())


@dataclass(frozen=True)
class Table:
    """One table of the report as every format shows it: rows of a label and figures, an optional total row."""

    key: str
    title: str
    definition: str
    headers: list[str]
    formats: list[str]
    rows: list[list]
    total: list | None = None

    @property
    def all_rows(self) -> list[list]:
        return self.rows + ([self.total] if self.total else [])


def _in(column, period: Period):
    start, end = period.utc_bounds()
    return and_(column >= start, column < end)


def _mean(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the figures -------------------------------------------------------------------------------------------------

def supported_cells(period: Period) -> list[tuple[str, str, str, int, int]]:
    """Distinct supported businesses per (size class, annex, trade group, municipality id): from the read model
    for a month, quarter, year or programme year, counted live for any other period."""
    return support.cells(period) if support.is_kept(period) else counted_cells(period)


def counted_cells(period: Period) -> list[tuple[str, str, str, int, int]]:
    """The same counted from the milestones: one GROUP BY over the union of the period's milestones."""
    milestones = support.supported_case_ids(period).subquery()
    businesses = select(Case.business_id).join(milestones, milestones.c.case_id == Case.id).distinct().subquery()
    size = size_class(Business.employees).label("size")
    query = (select(size, Trade.annex, Trade.group, Business.municipality_id, func.count())
             .select_from(Business).join(businesses, businesses.c.business_id == Business.id)
             .join(Trade, Trade.id == Business.trade_id)
             .group_by(size, Trade.annex, Trade.group, Business.municipality_id))
    return [tuple(row) for row in db.session.execute(query)]


def check_counts(period: Period) -> dict[str, int]:
    return {FIRST: 0, RECHECK: 0, **day_counts.totals(day_counts.CHECKS, period.start, period.end)}


def changes(period: Period) -> tuple[list[Change], list[Change]]:
    """Mean T0, T1 and change per dimension over the cases whose T1 was completed in the period (read from the
    sums per day of app.checks.change_days)."""
    found = change_days.means(period.start, period.end)

    def line(key: str, label: str) -> Change:
        n, t0, t1, change = found.get(key, (0, None, None, None))
        return Change(key, label, n, _mean(t0), _mean(t1), _mean(change))

    dimensions = [(d.key, d.name) for d in qn.load().dimensions]
    known = {key for key, _l in dimensions} | {change_days.OVERALL}
    dimensions += [(key, key) for key in sorted(found) if not key.startswith(DMA_PREFIX) and key not in known]
    plain = [line(key, label) for key, label in dimensions]
    plain.append(line(change_days.OVERALL, str(_l("Overall score"))))
    dma = [line(DMA_PREFIX + key, dma_label(key)) for key in qn.DMA_KEYS]
    return plain, dma


def workshops(period: Period) -> dict[str, tuple[int, int]]:
    """Per topic: workshops held in the period, not cancelled (the workshops table is small), and their
    participations."""
    held = db.session.execute(select(Topic.id, Topic.name, func.count()).join(Workshop, Workshop.topic_id == Topic.id)
                              .where(_in(Workshop.starts_at, period), Workshop.status != "cancelled")
                              .group_by(Topic.id, Topic.name)
                              .order_by(Topic.name))
    taking_part = day_counts.totals(day_counts.PARTICIPATIONS, period.start, period.end)
    return {name: (n, taking_part.get(str(topic_id), 0)) for topic_id, name, n in held}


def participations(period: Period) -> int:
    return sum(day_counts.totals(day_counts.PARTICIPATIONS, period.start, period.end).values())


def _distinct_businesses(period: Period, cases) -> dict[str, int]:
    """Distinct businesses per metric of a period: from the read model when it keeps the period, else counted
    from `cases` (a query of (metric, case id)) here."""
    if support.is_kept(period):
        return support.metric_totals(period)
    found = cases.subquery()
    return dict(db.session.execute(
        select(found.c.metric, func.count(distinct(Case.business_id))).join(Case, Case.id == found.c.case_id)
        .group_by(found.c.metric)).all())


def referrals(period: Period) -> dict[str, tuple[int, int]]:
    """Per partner kind: referrals made in the period, and the distinct businesses referred."""
    made = day_counts.totals(day_counts.REFERRALS, period.start, period.end)
    referred = _distinct_businesses(period, select(
        (literal(support.REFERRED) + Partner.kind).label("metric"), Referral.case_id)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(_in(Referral.created_at, period), Referral.withdrawn_at.is_(None)))
    kinds = list(PARTNER_KINDS) + sorted(set(made) - set(PARTNER_KINDS))
    return {kind: (made.get(kind, 0), referred.get(support.REFERRED + kind, 0)) for kind in kinds}


def referral_count(period: Period) -> int:
    return sum(day_counts.totals(day_counts.REFERRALS, period.start, period.end).values())


def measures(period: Period) -> dict[str, int]:
    counts = day_counts.totals(day_counts.MEASURES, period.start, period.end)
    names = dict(db.session.execute(select(Topic.id, Topic.name)).all())
    no_topic = str(_l("Without topic"))
    found = {names.get(int(key)) or no_topic: n for key, n in counts.items()}
    return dict(sorted(found.items()))


def measure_count(period: Period) -> int:
    return sum(day_counts.totals(day_counts.MEASURES, period.start, period.end).values())


def businesses_reached(period: Period) -> int:
    """Distinct businesses whose case was opened in the period (first contact made or requested)."""
    return _distinct_businesses(period, select(literal(support.REACHED).label("metric"), Case.id.label("case_id"))
                                .where(_in(Case.opened_at, period))).get(support.REACHED, 0)


def funder_report(period: Period) -> FunderReport:
    """Every figure of the funder's report for the period (the one computation all formats render)."""
    report = FunderReport(period=period, generated_at=utcnow())
    groups = list(db.session.scalars(select(Trade.group).distinct().order_by(Trade.group)))
    towns = dict(db.session.execute(select(Municipality.id, Municipality.name).order_by(Municipality.name)).all())
    report.by_size = dict.fromkeys(SIZE_CLASSES, 0)
    report.by_annex = dict.fromkeys(ANNEXES, 0)
    report.by_group = dict.fromkeys(groups, 0)
    report.by_municipality = dict.fromkeys(towns.values(), 0)
    for size, annex, group, town_id, n in supported_cells(period):
        report.supported += n
        report.by_size[size] += n
        report.by_annex[annex] = report.by_annex.get(annex, 0) + n
        report.by_group[group] = report.by_group.get(group, 0) + n
        town = towns.get(town_id, "?")
        report.by_municipality[town] = report.by_municipality.get(town, 0) + n
    counts = check_counts(period)
    report.first_checks, report.rechecks = counts[FIRST], counts[RECHECK]
    report.changes, report.dma_changes = changes(period)
    report.workshops = workshops(period)
    report.referrals = referrals(period)
    report.measures = measures(period)
    return report
