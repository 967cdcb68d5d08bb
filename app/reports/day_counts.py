"""The funder report's plain counts per day (Europe/Berlin): completed checks per kind, workshop participations per
topic, referrals per partner kind and implemented measures per topic (day_counts). A period's count is the sum over
its days, whatever the period and the number of rows behind it.

Kept by recomputing: a flush notes the days its checks, attendances, workshops, referrals and measures touch (old
and new values alike, app.reports.support notes them); just before the commit each touched day of each metric is
counted again from the base tables and its rows replaced. On PostgreSQL a transaction-scoped advisory lock per
(metric, day), taken in order, makes a second transaction wait and then count what the first committed; SQLite
has one writer. `rebuild()` recounts everything (migration, bulk seed).
"""

import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, select, text

from app.cases.models import Measure
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reports.support_models import DayCount
from app.timeutil import BERLIN, today_berlin
from app.workshops.models import Attendance, Workshop

CHECKS, PARTICIPATIONS, REFERRALS, MEASURES = "checks", "participations", "referrals", "measures"


def _bounds(day: date) -> tuple[datetime, datetime]:
    def midnight(of: date) -> datetime:
        return datetime(of.year, of.month, of.day, tzinfo=BERLIN).astimezone(UTC)

    return midnight(day), midnight(day + timedelta(days=1))


def _within(column, day: date):
    start, end = _bounds(day)
    return and_(column >= start, column < end)


def _queries(day: date) -> dict[str, object]:
    """Per metric, (key, count) of one day."""
    return {
        CHECKS: select(Check.kind, func.count()).where(Check.status == "completed", _within(Check.completed_at, day))
        .group_by(Check.kind),
        PARTICIPATIONS: select(Workshop.topic_id, func.count()).join(Attendance, Attendance.workshop_id == Workshop.id)
        .where(_within(Workshop.starts_at, day)).group_by(Workshop.topic_id),
        REFERRALS: select(Partner.kind, func.count()).join(Referral, Referral.partner_id == Partner.id)
        .where(_within(Referral.created_at, day)).group_by(Partner.kind),
        MEASURES: select(Measure.topic_id, func.count())
        .where(Measure.status == "implemented", Measure.implemented_on == day).group_by(Measure.topic_id),
    }


def recount(touched: Iterable[tuple[str, date]]) -> None:
    """Count the touched (metric, day) pairs again and replace their rows (the caller commits)."""
    pairs = sorted(set(touched))
    if not pairs:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        for metric, day in pairs:
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": zlib.crc32(f"day_counts:{metric}:{day.isoformat()}".encode())})
    table = DayCount.__table__
    rows = []
    for metric, day in pairs:
        db.session.execute(delete(table).where(table.c.metric == metric, table.c.day == day))
        rows += [{"day": day, "metric": metric, "key": str(key or 0), "n": n}
                 for key, n in db.session.execute(_queries(day)[metric]) if n]
    if rows:
        db.session.execute(insert(table), rows)


def totals(metric: str, start: date, end: date) -> dict[str, int]:
    """Per key, the metric's sum over the days start..end."""
    return {key: int(n) for key, n in db.session.execute(
        select(DayCount.key, func.sum(DayCount.n)).where(DayCount.metric == metric, DayCount.day.between(start, end))
        .group_by(DayCount.key)) if n}


def rebuild(connection: Connection | None = None) -> int:
    """Recount every day from the base tables, streaming the rows' moments (days are Berlin days, which the two
    databases spell differently, so they are cut in Python). Returns the number of rows."""
    if connection is None:
        db.session.flush()
        connection = db.session.connection()
    table = DayCount.__table__
    connection.execute(delete(table))
    counts: Counter = Counter()
    sources = {
        CHECKS: select(Check.completed_at, Check.kind).where(Check.status == "completed"),
        PARTICIPATIONS: select(Workshop.starts_at, Workshop.topic_id)
        .join(Attendance, Attendance.workshop_id == Workshop.id),
        REFERRALS: select(Referral.created_at, Partner.kind).join(Partner, Partner.id == Referral.partner_id),
        MEASURES: select(Measure.implemented_on, Measure.topic_id).where(Measure.status == "implemented"),
    }
    for metric, query in sources.items():
        for moment, key in connection.execute(query.execution_options(yield_per=10_000)):
            if moment is not None:
                day = today_berlin(moment) if isinstance(moment, datetime) else moment
                counts[day, metric, str(key or 0)] += 1
    rows = [{"day": day, "metric": metric, "key": key, "n": n} for (day, metric, key), n in counts.items()]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(table), rows[start:start + 5000])
    return len(rows)


def snapshot() -> dict[tuple, int]:
    return {(row.day, row.metric, row.key): row.n for row in db.session.execute(select(DayCount.__table__)) if row.n}
