"""The funder's report for a period: one function computes every figure (`funder_report`), and `tables()` lays
the result out as the tables that the page, the XLSX file, the CSV file and the CLI all render unchanged.

Every figure is an aggregate query (COUNT … GROUP BY) over the base tables, filtered through the period
indexes of app.reports.target_models; nothing loads rows one by one. Definitions (shown with each table):

- supported business: a business with a milestone in the period: a completed check (first or re-check), an
  attendance at a workshop held in the period, a referral made in the period or a measure implemented in it.
  Counted once however many milestones it has; its size class, trade and municipality are today's.
- EU size class (Recommendation 2003/361/EC, by employees only): micro < 10, small < 50, medium < 250,
  large from 250, unknown without a number.
- first checks (T0) and re-checks (T1): checks of that kind completed in the period.
- change T0→T1: for each case whose re-check (T1, the latest one with T0's questionnaire) was completed in the
  period, T1's score minus T0's, averaged over the cases that have both scores.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, func, select, union
from sqlalchemy.orm import aliased

from app.cases.models import Business, Case, Measure
from app.checks import questionnaire as qn
from app.checks.dma import dma_label
from app.checks.models import FIRST, RECHECK, CaseCheckSummary, Check, CheckScore
from app.checks.summary import DMA_PREFIX
from app.extensions import db
from app.partners.models import PARTNER_KINDS, Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.reports.period import Period
from app.timeutil import utcnow
from app.workshops.models import Attendance, Workshop

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
    """The EU size class as SQL (a CASE over businesses.employees); `size_class_of` is the same in Python."""
    return case((employees.is_(None), "unknown"), (employees < 10, "micro"), (employees < 50, "small"),
                (employees < 250, "medium"), else_="large")


def size_class_of(employees: int | None) -> str:
    if employees is None:
        return "unknown"
    return "micro" if employees < 10 else "small" if employees < 50 else "medium" if employees < 250 else "large"


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


def completed_in(period: Period):
    return and_(Check.status == "completed", _in(Check.completed_at, period))


def _mean(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the figures -------------------------------------------------------------------------------------------------

def supported_cells(period: Period) -> list[tuple[str, str, str, int, int]]:
    """Distinct supported businesses per (size class, annex, trade group, municipality id): one GROUP BY over the
    union of the period's milestones, answered from the period indexes."""
    milestones = union(
        select(Check.case_id).where(completed_in(period)),
        select(Attendance.case_id).join(Workshop, Workshop.id == Attendance.workshop_id)
        .where(_in(Workshop.starts_at, period), Attendance.withdrawn_at.is_(None)),
        select(Referral.case_id).where(_in(Referral.created_at, period)),
        select(Measure.case_id).where(Measure.status == "implemented",
                                      Measure.implemented_on.between(period.start, period.end)),
    ).subquery()
    businesses = select(Case.business_id).join(milestones, milestones.c.case_id == Case.id).distinct().subquery()
    size = size_class(Business.employees).label("size")
    query = (select(size, Trade.annex, Trade.group, Business.municipality_id, func.count())
             .select_from(Business).join(businesses, businesses.c.business_id == Business.id)
             .join(Trade, Trade.id == Business.trade_id)
             .group_by(size, Trade.annex, Trade.group, Business.municipality_id))
    return [tuple(row) for row in db.session.execute(query)]


def check_counts(period: Period) -> dict[str, int]:
    query = select(Check.kind, func.count()).where(completed_in(period)).group_by(Check.kind)
    return {FIRST: 0, RECHECK: 0, **dict(db.session.execute(query).all())}


def changes(period: Period) -> tuple[list[Change], list[Change]]:
    """Mean T0, T1 and change per dimension over the cases whose T1 was completed in the period."""
    t1, s0, s1 = aliased(Check), aliased(CheckScore), aliased(CheckScore)
    summary = CaseCheckSummary
    in_period = and_(t1.status == "completed", _in(t1.completed_at, period), t1.kind == RECHECK)
    per_dimension = (
        select(s0.dimension, func.count(), func.avg(s0.score), func.avg(s1.score), func.avg(s1.score - s0.score))
        .select_from(t1)
        .join(summary, and_(summary.case_id == t1.case_id, summary.t1_check_id == t1.id))
        .join(s0, s0.check_id == summary.t0_check_id)
        .join(s1, and_(s1.check_id == t1.id, s1.dimension == s0.dimension))
        .where(in_period, s0.score.is_not(None), s1.score.is_not(None))
        .group_by(s0.dimension))
    found = {row[0]: row[1:] for row in db.session.execute(per_dimension)}
    overall = db.session.execute(
        select(func.count(), func.avg(summary.t0_overall), func.avg(summary.t1_overall),
               func.avg(summary.t1_overall - summary.t0_overall))
        .select_from(t1).join(summary, and_(summary.case_id == t1.case_id, summary.t1_check_id == t1.id))
        .where(in_period, summary.t0_overall.is_not(None), summary.t1_overall.is_not(None))).one()

    def line(key: str, label: str, row) -> Change:
        n, t0, t1_, change = row if row else (0, None, None, None)
        return Change(key, label, n, _mean(t0), _mean(t1_), _mean(change))

    dimensions = [(d.key, d.name) for d in qn.load().dimensions]
    known = {key for key, _l in dimensions}
    dimensions += [(key, key) for key in sorted(found) if not key.startswith(DMA_PREFIX) and key not in known]
    plain = [line(key, label, found.get(key)) for key, label in dimensions]
    plain.append(line("overall", str(_l("Overall score")), tuple(overall)))
    dma = [line(key, dma_label(key), found.get(DMA_PREFIX + key)) for key in qn.DMA_KEYS]
    return plain, dma


def workshops(period: Period) -> dict[str, tuple[int, int]]:
    query = (select(Topic.name, func.count(distinct(Workshop.id)), func.count(Attendance.id))
             .select_from(Workshop).join(Topic, Topic.id == Workshop.topic_id)
             .outerjoin(Attendance, (Attendance.workshop_id == Workshop.id) & Attendance.withdrawn_at.is_(None))
             .where(_in(Workshop.starts_at, period), Workshop.status != "cancelled")
             .group_by(Topic.name).order_by(Topic.name))
    return {name: (held, n) for name, held, n in db.session.execute(query)}


def participations(period: Period) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance)
                             .join(Workshop, Workshop.id == Attendance.workshop_id)
                             .where(_in(Workshop.starts_at, period), Attendance.withdrawn_at.is_(None))) or 0


def referrals(period: Period) -> dict[str, tuple[int, int]]:
    query = (select(Partner.kind, func.count(), func.count(distinct(Referral.case_id)))
             .select_from(Referral).join(Partner, Partner.id == Referral.partner_id)
             .where(_in(Referral.created_at, period)).group_by(Partner.kind))
    found = {kind: (n, cases) for kind, n, cases in db.session.execute(query)}
    return {kind: found.pop(kind, (0, 0)) for kind in PARTNER_KINDS} | found


def referral_count(period: Period) -> int:
    return db.session.scalar(select(func.count()).where(_in(Referral.created_at, period))) or 0


def _implemented(period: Period):
    return and_(Measure.status == "implemented", Measure.implemented_on.between(period.start, period.end))


def measures(period: Period) -> dict[str, int]:
    query = (select(Topic.name, func.count()).select_from(Measure).outerjoin(Topic, Topic.id == Measure.topic_id)
             .where(_implemented(period)).group_by(Topic.name).order_by(Topic.name))
    no_topic = str(_l("Without topic"))
    return {name or no_topic: n for name, n in db.session.execute(query)}


def measure_count(period: Period) -> int:
    return db.session.scalar(select(func.count()).select_from(Measure).where(_implemented(period))) or 0


def businesses_reached(period: Period) -> int:
    """Distinct businesses whose case was opened in the period (first contact made or requested)."""
    return db.session.scalar(select(func.count(distinct(Case.business_id))).where(_in(Case.opened_at, period))) or 0


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
