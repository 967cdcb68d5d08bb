"""Which businesses the funder report counts as supported, kept per period so that a year's report reads a few
hundred cells instead of every milestone of the year.

A business is supported in a period when one of its cases has a milestone in it (`sources()`: a completed check,
an attendance at a workshop held then, a referral made then, a measure implemented then). A distinct count over
a period cannot be added up from smaller periods, so the read model keeps the periods the report offers: every
calendar month, quarter and year and every programme year (`kept_periods`). Any other from-to period is counted
live from the milestones (app.reports.funder), which is exact and slower.

Keeping it: every flush notes the businesses whose milestones or place (size, trade, municipality) may have
changed; just before the commit `refresh` recomputes those businesses' periods from their milestones (a handful
of rows each), compares them with what business_support says they added, and adds the difference to
supported_cells by atomic upserts, all in the same transaction. Rows written by bulk SQL (the bench seed) bypass
this: `rebuild()` recomputes everything (`flask procheck rebuild-supported`).
"""

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from itertools import chain

from sqlalchemy import Connection, Select, and_, delete, event, func, insert, inspect, select, union
from sqlalchemy.orm import Session

from app import upserts
from app.cases.models import Business, Case, Measure
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Referral
from app.reference.models import Trade
from app.reports import period as periods
from app.reports.milestones import size_class
from app.reports.period import Period
from app.reports.support_models import BusinessSupport, SupportedCell
from app.timeutil import today_berlin
from app.workshops.models import Attendance, Workshop

KEYS = ("period_start", "period_end", "size", "annex", "trade_group", "municipality_id")
PLACE_ATTRIBUTES = ("employees", "trade_id", "municipality_id")
BATCH = 2000
_PENDING = "supported_businesses"  # session.info key: business, case and workshop ids noted by flushes


def kept_periods(day: date, programme_start: date | None = None) -> set[Period]:
    """The periods containing `day` that supported_cells keeps: its month, quarter and year, its programme year."""
    return _kept(day, programme_start or periods.programme_start())


@cache
def _kept(day: date, programme_start: date) -> frozenset[Period]:
    following_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    kept = {Period(day.replace(day=1), following_month - timedelta(days=1)),
            periods.quarter(day.year, (day.month - 1) // 3 + 1), periods.year(day.year)}
    kept.update(p for n in range(1, periods.PROGRAMME_YEARS + 1)
                if (p := periods.programme_year(n, programme_start)).start <= day <= p.end)
    return frozenset(kept)


def is_kept(period: Period) -> bool:
    return period in kept_periods(period.start)


def sources() -> list[tuple[Select, object]]:
    """Each kind of milestone as a query of (case id, moment) and the moment's column (a timestamp, or a date)."""
    return [
        (select(Check.case_id, Check.completed_at).where(Check.status == "completed"), Check.completed_at),
        (select(Attendance.case_id, Workshop.starts_at).join(Workshop, Workshop.id == Attendance.workshop_id),
         Workshop.starts_at),
        (select(Referral.case_id, Referral.created_at), Referral.created_at),
        (select(Measure.case_id, Measure.implemented_on).where(Measure.status == "implemented"),
         Measure.implemented_on),
    ]


def supported_case_ids(period: Period):
    """The ids of the cases with a milestone in the period (a UNION; the live count of any period)."""
    start, end = period.utc_bounds()
    parts = []
    for query, moment in sources():
        within = (moment.between(period.start, period.end) if moment is Measure.implemented_on
                  else and_(moment >= start, moment < end))
        parts.append(query.with_only_columns(query.selected_columns[0]).where(within))
    return union(*parts)


def cells(period: Period) -> list[tuple[str, str, str, int, int]]:
    """(size, annex, trade group, municipality id, businesses) of a kept period, from supported_cells."""
    cell = SupportedCell
    query = (select(cell.size, cell.annex, cell.trade_group, cell.municipality_id, func.sum(cell.businesses))
             .where(cell.period_start == period.start, cell.period_end == period.end)
             .group_by(cell.size, cell.annex, cell.trade_group, cell.municipality_id)
             .having(func.sum(cell.businesses) != 0))
    return [tuple(row) for row in db.session.execute(query)]


# --- one business's share ----------------------------------------------------------------------------------------

def _days(connection, of_business) -> dict[int, set[date]]:
    """The days (Berlin) of every milestone of the businesses chosen by a condition on Case.business_id."""
    found: dict[int, set[date]] = {}
    for query, _moment in sources():
        rows = connection.execute(query.add_columns(Case.business_id)
                                  .join(Case, Case.id == query.selected_columns[0]).where(of_business))
        for _case_id, moment, business_id in rows:
            if moment is None:  # e.g. a measure marked implemented without a date: in no period
                continue
            day = today_berlin(moment) if isinstance(moment, datetime) else moment
            found.setdefault(business_id, set()).add(day)
    return found


def _places(connection, of_business) -> dict[int, tuple[str, str, str, int]]:
    rows = connection.execute(select(Business.id, Business.employees, Trade.annex, Trade.group,
                                     Business.municipality_id).join(Trade, Trade.id == Business.trade_id)
                              .where(of_business))
    return {row[0]: (size_class(row[1]), *row[2:]) for row in rows}


def _encode(kept: Iterable[Period]) -> str:
    return " ".join(sorted(f"{p.start.isoformat()}/{p.end.isoformat()}" for p in kept))


def _decode(text: str) -> list[tuple[date, date]]:
    return [tuple(date.fromisoformat(part) for part in token.split("/")) for token in text.split()]


def _shares(connection, of_business_days, of_business_places) -> dict[int, tuple[str, tuple]]:
    """Per business with a milestone: its periods (encoded) and its place."""
    days, places = _days(connection, of_business_days), _places(connection, of_business_places)
    start = periods.programme_start()
    return {business_id: (_encode(set(chain.from_iterable(kept_periods(day, start) for day in found))),
                          places[business_id]) for business_id, found in days.items()}


def _add(rows: Counter, share: tuple[str, tuple], sign: int) -> None:
    text, place = share
    for start, end in _decode(text):
        rows[(start, end, *place)] += sign


def refresh(business_ids: Iterable[int]) -> None:
    """Bring these businesses' shares up to date: the difference goes to supported_cells, the new share to
    business_support (same transaction; the business rows are locked in id order so that two transactions
    refreshing the same business count it once)."""
    ids = sorted(set(business_ids))
    rows: Counter = Counter()
    table = BusinessSupport.__table__
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        db.session.execute(select(Business.id).where(Business.id.in_(chunk)).order_by(Business.id).with_for_update())
        stored = {row.business_id: (row.periods, (row.size, row.annex, row.trade_group, row.municipality_id))
                  for row in db.session.execute(select(table).where(table.c.business_id.in_(chunk)))}
        now = _shares(db.session.connection(), Case.business_id.in_(chunk), Business.id.in_(chunk))
        changed = [business_id for business_id in chunk if stored.get(business_id) != now.get(business_id)]
        if not changed:
            continue
        for business_id in changed:
            if business_id in stored:
                _add(rows, stored[business_id], -1)
            if business_id in now:
                _add(rows, now[business_id], 1)
        db.session.execute(delete(table).where(table.c.business_id.in_(changed)))
        _store(db.session.connection(), [(business_id, now[business_id]) for business_id in changed
                                         if business_id in now])
    upserts.add(SupportedCell.__table__, KEYS, [dict(zip(KEYS, key, strict=True), businesses=n)
                                                for key, n in rows.items() if n])


def _store(connection, shares: list[tuple[int, tuple[str, tuple]]]) -> None:
    if shares:
        connection.execute(insert(BusinessSupport.__table__), [
            {"business_id": business_id, "periods": text, "size": place[0], "annex": place[1],
             "trade_group": place[2], "municipality_id": place[3]} for business_id, (text, place) in shares])


def rebuild(connection: Connection | None = None) -> int:
    """Recompute both tables from the milestones, a range of business ids at a time; returns the businesses
    counted. The caller commits."""
    if connection is None:
        db.session.flush()
        connection = db.session.connection()
    connection.execute(delete(SupportedCell.__table__))
    connection.execute(delete(BusinessSupport.__table__))
    rows: Counter = Counter()
    last = connection.scalar(select(func.max(Business.id))) or 0
    count, step = 0, BATCH * 5
    for low in range(0, last + 1, step):
        shares = _shares(connection, Case.business_id.between(low, low + step - 1),
                         Business.id.between(low, low + step - 1))
        for share in shares.values():
            _add(rows, share, 1)
        _store(connection, sorted(shares.items()))
        count += len(shares)
    cells_ = [dict(zip(KEYS, key, strict=True), businesses=n) for key, n in rows.items() if n]
    for start in range(0, len(cells_), 5000):
        connection.execute(insert(SupportedCell.__table__), cells_[start:start + 5000])
    return count


# --- noting what changed ----------------------------------------------------------------------------------------

def listen() -> None:
    """Keep the read model on every commit (reports.init_app calls it; Session events are per process)."""
    for name, function in (("after_flush", _note), ("before_commit", _settle),
                           ("after_transaction_end", _forget)):
        if not event.contains(Session, name, function):
            event.listen(Session, name, function)


def _changed(obj, attribute: str) -> bool:
    return inspect(obj).attrs[attribute].history.has_changes()


def _note(session: Session, _flush_context) -> None:
    pending = session.info.setdefault(_PENDING, {"cases": set(), "workshops": set(), "businesses": set()})
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Check):
            if obj.status == "completed" or _changed(obj, "status"):
                pending["cases"].add(obj.case_id)
        elif isinstance(obj, Attendance | Referral | Measure):
            pending["cases"].add(obj.case_id)
        elif isinstance(obj, Workshop):
            if obj not in session.new and _changed(obj, "starts_at"):
                pending["workshops"].add(obj.id)
        elif (isinstance(obj, Business) and obj not in session.new
              and any(_changed(obj, name) for name in PLACE_ATTRIBUTES)):
            pending["businesses"].add(obj.id)


def _settle(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    businesses = set(pending["businesses"])
    if pending["cases"]:
        businesses.update(session.scalars(select(Case.business_id).where(Case.id.in_(pending["cases"]))))
    if pending["workshops"]:
        businesses.update(session.scalars(select(Case.business_id).join(Attendance, Attendance.case_id == Case.id)
                                          .where(Attendance.workshop_id.in_(pending["workshops"]))))
    refresh(businesses)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
