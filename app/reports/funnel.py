"""The funnel and the time in each stage for a period's cohorts (the cases opened in its months).

Read from the monthly cells of app.reports.milestones (its docstring defines what counts): one GROUP BY over the
cells of the period's months for the totals, the withdrawal reasons and the chosen breakdown, and the "all" cells
of each month for the cohort table (primary key range on the month in both). Medians and 80th
percentiles are nearest-rank percentiles of the summed day histograms: exact to the day up to 30 days, within the
bucket (a week, then about a month) beyond.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.cases.vocab import State
from app.cases.workflow import state_label
from app.errors import DomainError
from app.extensions import db
from app.inputs import parse_int
from app.reference.models import Municipality
from app.reports.funnel_models import BUCKET_COLUMNS, BUCKETS, FunnelCell
from app.reports.milestones import MILESTONES, PAIRS, SIZE_CLASSES, STAGES
from app.timeutil import today_berlin

PERIOD_KINDS = ("month", "quarter", "year", "range")
BREAKDOWNS = {"owner": _l("Scout"), "group": _l("Trade group"), "town": _l("Municipality"),
              "size": _l("Size class")}
SIZE_LABELS = {"micro": _l("Micro (fewer than 10 employees)"), "small": _l("Small (10 to 49 employees)"),
               "medium": _l("Medium (50 to 249 employees)"), "large": _l("Large (250 employees or more)"),
               "unknown": _l("Unknown (no number of employees)")}
MAX_MONTHS = 120
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class PeriodInvalid(DomainError):
    """The period in the address is not one; the message (German) says what to enter."""


@dataclass(frozen=True)
class Period:
    kind: str
    first: int  # yyyymm
    last: int  # yyyymm, inclusive

    @property
    def months(self) -> list[int]:
        result, month = [], self.first
        while month <= self.last:
            result.append(month)
            month = month + 1 if month % 100 < 12 else (month // 100 + 1) * 100 + 1
        return result


def month_text(month: int) -> str:
    return f"{month % 100:02d}.{month // 100}"


def _month(value: str | None, what) -> int:
    match = _MONTH.fullmatch(value or "")
    number = int(match.group(2)) if match else 0
    if not match or not 1 <= number <= 12 or not 2000 <= int(match.group(1)) <= 2999:
        raise PeriodInvalid(_l("Please enter %(what)s as year and month, e.g. 2026-03.", what=what), "period")
    return int(match.group(1)) * 100 + number


def _year(value: str | None) -> int:
    year = parse_int(value, minimum=2000, maximum=2999)
    if year is None:
        raise PeriodInvalid(_l("Please enter a year between 2000 and 2999, e.g. 2026."), "year")
    return year


def parse_period(args: Mapping[str, str], today: date | None = None) -> Period:
    """The period the query string asks for; the current year when it asks for none. Raises PeriodInvalid."""
    today = today or today_berlin()
    kind = args.get("period") or "year"
    if kind not in PERIOD_KINDS:
        raise PeriodInvalid(_l("Please choose month, quarter, year or a range of months."), "period")
    if kind == "month":
        month = _month(args.get("month"), _l("the month"))
        return Period(kind, month, month)
    if kind == "year":
        year = _year(args.get("year") or str(today.year))
        return Period(kind, year * 100 + 1, year * 100 + 12)
    if kind == "quarter":
        year = _year(args.get("year"))
        quarter = parse_int(args.get("quarter"), minimum=1, maximum=4)
        if quarter is None:
            raise PeriodInvalid(_l("Please choose a quarter from 1 to 4."), "quarter")
        return Period(kind, year * 100 + 3 * quarter - 2, year * 100 + 3 * quarter)
    first, last = _month(args.get("from"), _l("the first month")), _month(args.get("to"), _l("the last month"))
    if first > last:
        raise PeriodInvalid(_l("The first month must not lie after the last month."), "from")
    if len(Period(kind, first, last).months) > MAX_MONTHS:
        raise PeriodInvalid(_l("Please choose at most ten years."), "from")
    return Period(kind, first, last)


def percentile(histogram: list[int], percent: int) -> float | None:
    """The nearest-rank percentile of the days in a histogram (BUCKETS), interpolated inside a wide bucket."""
    total = sum(histogram)
    if not total:
        return None
    rank = max(1, -(-percent * total // 100))  # ceil(percent * total / 100) in integers
    seen = 0
    for index, count in enumerate(histogram):
        if seen + count >= rank:
            low = BUCKETS[index]
            width = (BUCKETS[index + 1] - low) if index + 1 < len(BUCKETS) else 1
            if width == 1:
                return float(low)
            return round(low + width * (rank - seen - 0.5) / count, 0)
        seen += count
    return None


@dataclass
class Sums:
    """The summed cells of one key: counts per metric and day histograms per stage."""

    counts: dict[str, int] = field(default_factory=dict)
    days: dict[str, list[int]] = field(default_factory=dict)

    def add(self, metric: str, n: int, buckets: list[int]) -> None:
        self.counts[metric] = self.counts.get(metric, 0) + n
        if metric.startswith("days:"):
            stage = metric.split(":", 1)[1]
            old = self.days.get(stage) or [0] * len(BUCKETS)
            self.days[stage] = [a + b for a, b in zip(old, buckets, strict=True)]

    def n(self, metric: str) -> int:
        return self.counts.get(metric, 0)


@dataclass(frozen=True)
class Step:
    state: str
    label: str
    count: int
    share_of_opened: float | None  # percent


@dataclass(frozen=True)
class Conversion:
    label: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass(frozen=True)
class StageTime:
    state: str
    label: str
    cases: int
    median: float | None
    p80: float | None


@dataclass(frozen=True)
class Figures:
    opened: int
    steps: list[Step]
    conversions: list[Conversion]
    stages: list[StageTime]
    withdrawn: int
    reopened: int


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    figures: Figures


@dataclass
class Report:
    period: Period
    figures: Figures
    cohorts: list[Row]
    breakdown: list[Row]
    by: str
    reasons: list[tuple[str, int]]
    withdrawn_from: list[tuple[str, int]]


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def figures_of(sums: Sums) -> Figures:
    opened = sums.n("opened")
    reached = {state: sums.n(f"reached:{state}") for state in MILESTONES}
    steps = [Step(State.CONTACTED, str(_l("Opened")), opened, _pct(opened, opened))]
    steps += [Step(state, state_label(state), reached[state], _pct(reached[state], opened)) for state in MILESTONES]
    check = reached[State.CHECK_DONE]
    conversions = [Conversion(f"{state_label(State.CONTACTED)} → {state_label(State.CHECK_DONE)}", check, opened)]
    conversions += [Conversion(f"{state_label(State.CHECK_DONE)} → {state_label(state)}", reached[state], check)
                    for state in MILESTONES[1:]]
    conversions += [Conversion(f"{state_label(a)} → {state_label(b)}", sums.n(f"pair:{a}:{b}"), reached[a])
                    for a, b in PAIRS]
    stages = []
    for stage in STAGES:
        histogram = sums.days.get(stage) or [0] * len(BUCKETS)
        stages.append(StageTime(stage, state_label(stage), sum(histogram), percentile(histogram, 50),
                                percentile(histogram, 80)))
    return Figures(opened, steps, conversions, stages, sums.n("withdrawn"), sums.n("reopened"))


def _labels(by: str, keys: set[str]) -> dict[str, str]:
    if by == "owner":
        ids = [int(key) for key in keys]
        return {str(i): name for i, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}
    if by == "town":
        ids = [int(key) for key in keys]
        return {str(i): name for i, name in db.session.execute(
            select(Municipality.id, Municipality.name).where(Municipality.id.in_(ids)))}
    if by == "size":
        return {key: str(SIZE_LABELS.get(key, key)) for key in keys}
    return {key: key for key in keys}


def _order(by: str, rows: list[Row]) -> list[Row]:
    if by == "size":
        return sorted(rows, key=lambda row: SIZE_CLASSES.index(row.key) if row.key in SIZE_CLASSES else 99)
    return sorted(rows, key=lambda row: row.label.lower())


def report(period: Period, by: str = "owner") -> Report:
    """The period's funnel, its cohort months and the breakdown `by` (owner, group, town or size)."""
    by = by if by in BREAKDOWNS else "owner"
    table = FunnelCell.__table__
    in_period = table.c.month.between(period.first, period.last)
    sums: dict[tuple[str, str], Sums] = {}
    query = (select(table.c.dim, table.c.key, table.c.metric, func.sum(table.c.n),
                    *(func.sum(table.c[name]) for name in BUCKET_COLUMNS))
             .where(in_period, table.c.dim.in_(("all", "reason", by)))
             .group_by(table.c.dim, table.c.key, table.c.metric))
    for dim, key, metric, n, *buckets in db.session.execute(query):
        sums.setdefault((dim, key), Sums()).add(metric, int(n or 0), [int(b or 0) for b in buckets])
    per_month: dict[int, Sums] = {month: Sums() for month in period.months}
    monthly = (select(table.c.month, table.c.metric, table.c.n, *(table.c[name] for name in BUCKET_COLUMNS))
               .where(in_period, table.c.dim == "all", table.c.key == ""))
    for month, metric, n, *buckets in db.session.execute(monthly):  # one cell per month and metric: no GROUP BY
        per_month.setdefault(month, Sums()).add(metric, int(n or 0), [int(b or 0) for b in buckets])
    total = sums.get(("all", ""), Sums())
    keys = {key for dim, key in sums if dim == by}
    labels = _labels(by, keys)
    breakdown = _order(by, [Row(key, labels.get(key, "?"), figures_of(sums[(by, key)])) for key in keys])
    reasons = sorted(((key or str(_l("(no reason given)")), s.n("withdrawn"))
                      for (dim, key), s in sums.items() if dim == "reason" and s.n("withdrawn")),
                     key=lambda item: (-item[1], item[0]))
    withdrawn_from = [(state_label(state), total.n(f"withdrawn_from:{state}"))
                      for state in (State.CONTACTED, *MILESTONES) if total.n(f"withdrawn_from:{state}")]
    return Report(period, figures_of(total),
                  [Row(str(month), month_text(month), figures_of(s)) for month, s in sorted(per_month.items())],
                  breakdown, by, reasons, withdrawn_from)
