"""The funder's report for a period: one function computes every figure (`funder_report`), and `tables()` lays
the result out as the tables that the page, the XLSX file, the CSV file and the CLI all render unchanged.

Every figure is an aggregate query (COUNT … GROUP BY): the supported businesses from their read model
(app.reports.support) for a month, quarter, year or programme year, the changes T0→T1 from their sums per day
(app.checks.change_days), the rest over the base tables through the period indexes of
app.reports.target_models; nothing loads rows one by one. Definitions (shown with each table):

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
from sqlalchemy import and_, case, distinct, func, select

from app.cases.models import Business, Case, Measure
from app.checks import change_days
from app.checks import questionnaire as qn
from app.checks.dma import dma_label
from app.checks.models import FIRST, RECHECK, Check
from app.checks.summary import DMA_PREFIX
from app.extensions import db
from app.partners.models import PARTNER_KINDS, Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.reports import support
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


def completed_in(period: Period):
    return and_(Check.status == "completed", _in(Check.completed_at, period))


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
    query = select(Check.kind, func.count()).where(completed_in(period)).group_by(Check.kind)
    return {FIRST: 0, RECHECK: 0, **dict(db.session.execute(query).all())}


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
    query = (select(Topic.name, func.count(distinct(Workshop.id)), func.count(Attendance.id))
             .select_from(Workshop).join(Topic, Topic.id == Workshop.topic_id)
             .outerjoin(Attendance, Attendance.workshop_id == Workshop.id)
             .where(_in(Workshop.starts_at, period)).group_by(Topic.name).order_by(Topic.name))
    return {name: (held, n) for name, held, n in db.session.execute(query)}


def participations(period: Period) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance)
                             .join(Workshop, Workshop.id == Attendance.workshop_id)
                             .where(_in(Workshop.starts_at, period))) or 0


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
