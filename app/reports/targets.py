"""The programme's targets as data, and progress against them: per programme year and for all three years, the
actual figure against the target (percent) and against the share of the time that has passed.

A programme year is twelve months from PROGRAMME_START (config). Elapsed time counts whole days including today:
on the first day of a 365-day year 1/365 has passed, on its last day all of it. "Plan by now" is the target times
that share: a programme that reaches it is on schedule.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.extensions import db
from app.reports import funder
from app.reports.period import PROGRAMME_YEARS, Period, programme_start, programme_year, whole_programme
from app.reports.target_models import METRICS, ProgrammeTarget
from app.timeutil import today_berlin

METRIC_LABELS = {
    "businesses_reached": _l("Businesses reached"),
    "checks": _l("Checks (first checks)"),
    "workshop_participants": _l("Workshop participants"),
    "referrals": _l("Referrals"),
    "implemented_measures": _l("Implemented measures"),
    "rechecks": _l("Re-checks"),
}
METRIC_DEFINITIONS = {
    "businesses_reached": _l("businesses whose case was opened"),
    "checks": _l("first checks (T0) completed"),
    "workshop_participants": _l("attendances at workshops held"),
    "referrals": _l("referrals to partners made"),
    "implemented_measures": _l("measures implemented (by implementation date)"),
    "rechecks": _l("re-checks (T1) completed"),
}
assert set(METRIC_LABELS) == set(METRICS) == set(METRIC_DEFINITIONS)


@dataclass(frozen=True)
class Line:
    metric: str
    label: str
    target: int | None
    actual: int
    elapsed: float  # share of the period's time passed, 0..1

    @property
    def percent(self) -> float | None:
        """Actual against target, in percent (None without a target; a target of 0 is reached at once)."""
        if self.target is None:
            return None
        return 100.0 if self.target == 0 else round(100 * self.actual / self.target, 1)

    @property
    def planned_by_now(self) -> float | None:
        return None if self.target is None else round(self.target * self.elapsed, 1)

    @property
    def on_schedule(self) -> bool | None:
        planned = self.planned_by_now
        return None if planned is None else self.actual >= planned


@dataclass(frozen=True)
class Span:
    """A programme year (number 1..3) or the whole programme (number None) with its lines."""

    number: int | None
    period: Period
    elapsed: float
    lines: list[Line]


def elapsed_share(period: Period, today: date) -> float:
    """The share of the period's days that have begun by today (today included), 0 before and 1 after it."""
    if today < period.start:
        return 0.0
    if today >= period.end:
        return 1.0
    return ((today - period.start).days + 1) / period.days


def targets() -> dict[tuple[int, str], int]:
    return {(t.year, t.metric): t.target for t in db.session.scalars(select(ProgrammeTarget))}


def save_targets(values: dict[tuple[int, str], int | None]) -> None:
    """Replace the targets: a number sets one, None removes it. Validated by the form; the table's CHECK
    constraints refuse anything else."""
    db.session.execute(delete(ProgrammeTarget))
    db.session.add_all(ProgrammeTarget(year=year, metric=metric, target=value)
                       for (year, metric), value in sorted(values.items()) if value is not None)
    db.session.flush()


def actuals(period: Period) -> dict[str, int]:
    """The figures the targets count, in the period (the same definitions as the funder's report)."""
    checks = funder.check_counts(period)
    return {
        "businesses_reached": funder.businesses_reached(period),
        "checks": checks["t0"],
        "workshop_participants": funder.participations(period),
        "referrals": funder.referral_count(period),
        "implemented_measures": funder.measure_count(period),
        "rechecks": checks["t1"],
    }


def _span(number: int | None, period: Period, planned: dict[str, int | None], today: date) -> Span:
    elapsed = elapsed_share(period, today)
    found = actuals(period) if today >= period.start else dict.fromkeys(METRICS, 0)
    lines = [Line(metric, str(METRIC_LABELS[metric]), planned.get(metric), found[metric], elapsed)
             for metric in METRICS]
    return Span(number, period, elapsed, lines)


def progress(today: date | None = None) -> list[Span]:
    """Each programme year, then the whole programme (targets summed over the years that have one)."""
    today = today or today_berlin()
    planned = targets()
    start = programme_start()
    spans = [_span(n, programme_year(n, start), {m: planned.get((n, m)) for m in METRICS}, today)
             for n in range(1, PROGRAMME_YEARS + 1)]
    total: dict[str, int | None] = {}
    for metric in METRICS:
        values = [planned[(n, metric)] for n in range(1, PROGRAMME_YEARS + 1) if (n, metric) in planned]
        total[metric] = sum(values) if values else None
    return [*spans, _span(None, whole_programme(start), total, today)]
