"""The funnel's read model: per case the first reaching of each milestone, and monthly cells the funnel page sums.

Why two tables. The page must answer under 500 ms at a million cases on SQLite and PostgreSQL, for a whole year or
any range of months, with medians and 80th percentiles. A scan of case_events (ten million rows) per request is
out; so is a scan of one row per case (a year is a third of a million rows, SQLite has no percentile function, and
four breakdowns would mean five such scans). So the page reads only `funnel_cells`: per cohort month (the month the
case was opened, Europe/Berlin), per key of one breakdown (all, scout, trade group, municipality, size class, and
the withdrawal reasons) and per metric, the number of cases, and for the days spent in a stage a histogram in
fixed bucket columns (app.reports.funnel_models.BUCKETS). A year is a GROUP BY over some ten thousand cells; a median or
80th percentile comes from the summed bucket counts. `case_milestones` (one row per case) is what the hooks need
to change the cells correctly: a case's share of the cells is a pure function of its row (`contribution`), so
every change computes the share before and after and adds the difference (atomic upserts, as the pipeline's read
model: concurrent transactions never lose a count).

What counts (the page's definitions say the same):
- A milestone (check done, workshop attended, referred, implemented) counts once, at the first time the case
  entered that state through a move. A correction back does not un-reach it, and reaching it again after a
  correction neither counts again nor moves its date. A stage skipped on the way (check → implemented without a
  workshop) is not reached.
- Days in a stage: calendar days (Europe/Berlin) from the first reaching of the stage to the first reaching of a
  later milestone after it: contacted → check; check → workshop, referral or implemented; workshop → referral or
  implemented; referral → implemented. Cases that have not left a stage yet are not in its figures.
- Withdrawn: the case is withdrawn now (its latest withdrawal, with its reason and the stage it left). A reopened
  case is no longer withdrawn; it counts under "reopened" (at least once) and keeps its milestones.
- The scout is the case's current owner; municipality, trade group and size class (EU: micro < 10, small < 50,
  medium < 250 employees, large from 250, unknown when missing) are the business's current ones.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Connection, case, delete, func, insert, literal, select

from app import upserts
from app.cases.models import Business, Case, CaseEvent
from app.cases.vocab import EventKind, State
from app.extensions import db
from app.reference.models import Trade
from app.reports.funnel_models import BUCKET_COLUMNS, BUCKETS, CaseMilestone, FunnelCell
from app.timeutil import BERLIN

MILESTONES = (State.CHECK_DONE, State.WORKSHOP_ATTENDED, State.REFERRED, State.IMPLEMENTED)
STAGES = (State.CONTACTED, *MILESTONES[:-1])  # the stages whose days are measured (implemented has no end)
# Both milestones reached (in any order): conversions that are not "share of the checks".
PAIRS = ((State.WORKSHOP_ATTENDED, State.REFERRED), (State.WORKSHOP_ATTENDED, State.IMPLEMENTED),
         (State.REFERRED, State.IMPLEMENTED))
DIMS = ("owner", "group", "town", "size")
SIZE_CLASSES = ("micro", "small", "medium", "large", "unknown")
REASON_LENGTH = 200
CELL_KEYS = ("month", "dim", "key", "metric")

Share = tuple[str, str, str, int]  # dim, key, metric, bucket index (-1: a plain count)


def size_class(employees: int | None) -> str:
    if employees is None:
        return "unknown"
    return "micro" if employees < 10 else "small" if employees < 50 else "medium" if employees < 250 else "large"


def cohort_month(opened_at: datetime) -> int:
    local = opened_at.astimezone(BERLIN)
    return local.year * 100 + local.month


def days_between(start: datetime, end: datetime) -> int:
    return (end.astimezone(BERLIN).date() - start.astimezone(BERLIN).date()).days


def bucket(days: int) -> int:
    """The index of the histogram bucket that holds this many days."""
    days = max(days, 0)
    if days <= 30:
        return days
    low, high = 31, len(BUCKETS) - 1
    while low < high:  # the last bound not above days
        mid = (low + high + 1) // 2
        if BUCKETS[mid] <= days:
            low = mid
        else:
            high = mid - 1
    return low if BUCKETS[low] <= days else low - 1


def reached(row) -> dict[str, datetime]:
    """The milestones the case has reached, by state, with when it first reached each (opened as "contacted")."""
    times = {State.CONTACTED: row.opened_at}
    for state in MILESTONES:
        when = getattr(row, f"{state}_at")
        if when is not None:
            times[state] = when
    return times


def stage_days(row) -> dict[str, int]:
    """Days in each stage the case has left forward (see the module's definitions)."""
    times = reached(row)
    result = {}
    for index, stage in enumerate(STAGES):
        start = times.get(stage)
        if start is None:
            continue
        later = [times[s] for s in (State.CONTACTED, *MILESTONES)[index + 1:] if s in times and times[s] >= start]
        if later:
            result[stage] = days_between(start, min(later))
    return result


def _metrics(row) -> list[tuple[str, int]]:
    """The metrics a case counts in under each of its keys: (metric, bucket index or -1 for a plain count)."""
    times = reached(row)
    metrics: list[tuple[str, int]] = [("opened", -1)]
    metrics += [(f"reached:{state}", -1) for state in MILESTONES if state in times]
    metrics += [(f"pair:{a}:{b}", -1) for a, b in PAIRS if a in times and b in times]
    metrics += [(f"days:{stage}", bucket(days)) for stage, days in stage_days(row).items()]
    if row.withdrawn_at is not None:
        metrics.append(("withdrawn", -1))
    if row.reopened:
        metrics.append(("reopened", -1))
    return metrics


def _keys(row) -> tuple[str, str, str, str]:
    """The case's keys in the breakdowns DIMS (besides "all")."""
    return str(row.owner_id), row.trade_group, str(row.municipality_id), row.size_class


def _withdrawal(row) -> list[Share]:
    """The withdrawal's reason and the stage it left, counted under "all" only (free text would not stay small)."""
    if row.withdrawn_at is None:
        return []
    return [("all", "", f"withdrawn_from:{row.withdrawn_from}", -1),
            ("reason", (row.withdrawn_reason or "")[:REASON_LENGTH], "withdrawn", -1)]


def contribution(row) -> list[Share]:
    """The case's share of the cells of its cohort month: (dim, key, metric, bucket) entries, each counting one."""
    keys = list(zip(("all", *DIMS), ("", *_keys(row)), strict=True))
    metrics = _metrics(row)  # the same for every breakdown: computed once
    return [(dim, key, metric, b) for dim, key in keys for metric, b in metrics] + _withdrawal(row)


def _cells(month: int, shares: Iterable[Share], weight: int, into: dict) -> None:
    """Add weight (a count, or -1/+1 for a case's share before/after a change) to the shares' cells."""
    for dim, key, metric, b in shares:
        cell = into.get((month, dim, key, metric))
        if cell is None:
            cell = into[(month, dim, key, metric)] = [0] * (1 + len(BUCKETS))
        cell[0] += weight
        if b >= 0:
            cell[1 + b] += weight


def _rows(cells: dict) -> list[dict]:
    return [{**dict(zip(CELL_KEYS, key, strict=True)), "n": values[0],
             **dict(zip(BUCKET_COLUMNS, values[1:], strict=True))}
            for key, values in cells.items() if any(values)]


def _apply(before, after) -> None:
    """Add the difference of a case's share after a change to the cells (before/after: rows or None)."""
    cells: dict = {}
    if before is not None:
        _cells(cohort_month(before.opened_at), contribution(before), -1, cells)
    if after is not None:
        _cells(cohort_month(after.opened_at), contribution(after), 1, cells)
    upserts.add(FunnelCell.__table__, CELL_KEYS, _rows(cells))


class _Snapshot:
    """A detached copy of a milestone row's values (the share before a change)."""

    def __init__(self, row: CaseMilestone) -> None:
        for column in CaseMilestone.__table__.columns:
            setattr(self, column.key, getattr(row, column.key))


def _locked(case_id: int) -> CaseMilestone | None:
    """The case's milestone row, locked and read fresh (PostgreSQL: a concurrent business edit or move of the same
    case waits for this transaction and then sees its result, so no change is lost; SQLite has one writer)."""
    return db.session.get(CaseMilestone, case_id, with_for_update=True, populate_existing=True)


def _place(business_id: int) -> tuple[int, str, str]:
    town, group, employees = db.session.execute(
        select(Business.municipality_id, Trade.group, Business.employees)
        .join(Trade, Trade.id == Business.trade_id).where(Business.id == business_id)).one()
    return town, group, size_class(employees)


# --- the case hooks (registered in app.reports.init_app) ---------------------------------------------------------

def on_case_opened(case: Case, _entry) -> None:
    town, group, size = _place(case.business_id)
    row = CaseMilestone(case_id=case.id, opened_at=case.opened_at, owner_id=case.owner_id, municipality_id=town,
                        trade_group=group, size_class=size, reopened=0)
    db.session.add(row)
    db.session.flush()
    _apply(None, row)


def on_cases_opened_in_bulk(new_cases, at: datetime) -> None:
    """Cases opened together: their rows in one INSERT … SELECT, and the cells from one count per key (every new
    case has the same share as any other with its keys: opened, in the cohort month of `at`)."""
    table = CaseMilestone.__table__
    db.session.execute(insert(table).from_select(
        ["case_id", "opened_at", "owner_id", "municipality_id", "trade_group", "size_class", "reopened"],
        select(Case.id, Case.opened_at, Case.owner_id, Business.municipality_id, Trade.group, _size_sql(), literal(0))
        .join(Business, Business.id == Case.business_id).join(Trade, Trade.id == Business.trade_id)
        .where(Case.id.in_(new_cases))))
    keys = (table.c.owner_id, table.c.municipality_id, table.c.trade_group, table.c.size_class)
    cells: dict = {}
    for owner, town, group, size, n in db.session.execute(
            select(*keys, func.count()).where(table.c.case_id.in_(new_cases)).group_by(*keys)):
        row = CaseMilestone(opened_at=at, owner_id=owner, municipality_id=town, trade_group=group, size_class=size,
                            reopened=0)
        _cells(cohort_month(at), contribution(row), n, cells)
    upserts.add(FunnelCell.__table__, CELL_KEYS, _rows(cells))


def on_case_moved(case: Case, move, entry: CaseEvent) -> None:
    row = _locked(case.id)
    if row is None:  # a case from before the read model existed and was never rebuilt: nothing to keep
        return
    before = _Snapshot(row)
    target = move.target
    if target in MILESTONES and getattr(row, f"{target}_at") is None:
        setattr(row, f"{target}_at", entry.created_at)
    if target == State.WITHDRAWN:
        row.withdrawn_at, row.withdrawn_from = entry.created_at, move.source
        row.withdrawn_reason = (entry.text or "")[:REASON_LENGTH]
    elif move.source == State.WITHDRAWN:
        row.withdrawn_at = row.withdrawn_from = row.withdrawn_reason = None
        row.reopened += 1
    db.session.flush()
    _apply(before, row)


def on_cases_reassigned(moves: list[tuple[Case, int]], new_owner_id: int) -> None:
    """The cases' shares move to the new owner's cells: their rows locked in id order, one upsert of the sums."""
    rows = db.session.scalars(select(CaseMilestone).where(CaseMilestone.case_id.in_([case.id for case, _o in moves]))
                              .order_by(CaseMilestone.case_id).with_for_update()
                              .execution_options(populate_existing=True))
    cells: dict = {}
    for row in rows:
        if row.owner_id == new_owner_id:
            continue
        month = cohort_month(row.opened_at)
        _cells(month, contribution(row), -1, cells)
        row.owner_id = new_owner_id
        _cells(month, contribution(row), 1, cells)
    db.session.flush()
    upserts.add(FunnelCell.__table__, CELL_KEYS, _rows(cells))


def on_business_moved(business: Business, _old_municipality_id: int, _old_trade_id: int) -> None:
    """The business's municipality, trade or number of employees changed: its cases move to their new keys."""
    town, group, size = _place(business.id)
    rows = db.session.scalars(select(CaseMilestone).join(Case, Case.id == CaseMilestone.case_id)
                              .where(Case.business_id == business.id).order_by(CaseMilestone.case_id)
                              .with_for_update(of=CaseMilestone).execution_options(populate_existing=True))
    for row in rows:
        if (row.municipality_id, row.trade_group, row.size_class) == (town, group, size):
            continue
        before = _Snapshot(row)
        row.municipality_id, row.trade_group, row.size_class = town, group, size
        db.session.flush()
        _apply(before, row)


# --- rebuilding -------------------------------------------------------------------------------------------------

def _size_sql():
    employees = Business.employees
    return case((employees.is_(None), literal("unknown")), (employees < 10, literal("micro")),
                (employees < 50, literal("small")), (employees < 250, literal("medium")), else_=literal("large"))


def milestones_from_base_tables():
    """One row per case from cases, businesses, trades and the timeline's moves (the rebuild inserts it)."""
    moved = CaseEvent.kind == EventKind.MOVED
    firsts = (
        select(CaseEvent.case_id.label("case_id"),
               *(func.min(case((CaseEvent.to_state == state, CaseEvent.created_at))).label(f"{state}_at")
                 for state in MILESTONES),
               func.sum(case((CaseEvent.from_state == State.WITHDRAWN, 1), else_=0)).label("reopened"))
        .where(moved).group_by(CaseEvent.case_id).subquery()
    )

    def latest_withdrawal(column):
        return (select(column).where(CaseEvent.case_id == Case.id, moved, CaseEvent.to_state == State.WITHDRAWN)
                .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc()).limit(1).scalar_subquery())

    withdrawn = Case.state == State.WITHDRAWN
    return (
        select(Case.id, Case.opened_at, Case.owner_id, Business.municipality_id, Trade.group, _size_sql(),
               *(firsts.c[f"{state}_at"] for state in MILESTONES),
               case((withdrawn, latest_withdrawal(CaseEvent.created_at))),
               case((withdrawn, latest_withdrawal(CaseEvent.from_state))),
               case((withdrawn, func.substr(latest_withdrawal(CaseEvent.text), 1, REASON_LENGTH))),
               func.coalesce(firsts.c.reopened, 0))
        .join(Business, Business.id == Case.business_id).join(Trade, Trade.id == Business.trade_id)
        .outerjoin(firsts, firsts.c.case_id == Case.id)
    )


MILESTONE_COLUMNS = ("case_id", "opened_at", "owner_id", "municipality_id", "trade_group", "size_class",
                     *(f"{state}_at" for state in MILESTONES), "withdrawn_at", "withdrawn_from", "withdrawn_reason",
                     "reopened")


def _all_rows(connection: Connection, chunk: int = 20_000) -> Iterator:
    """Every milestone row, in chunks of case ids (keeps memory flat at a million cases)."""
    table = CaseMilestone.__table__
    last = 0
    while True:
        rows = connection.execute(select(table).where(table.c.case_id > last).order_by(table.c.case_id)
                                  .limit(chunk)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].case_id


def rebuild(connection: Connection | None = None) -> int:
    """Replace both tables with what cases, businesses and case_events say; the caller commits. Returns the cases."""
    if connection is None:
        db.session.flush()
        connection = db.session.connection()
    connection.execute(delete(FunnelCell.__table__))
    connection.execute(delete(CaseMilestone.__table__))
    connection.execute(insert(CaseMilestone.__table__).from_select(list(MILESTONE_COLUMNS),
                                                                   milestones_from_base_tables()))
    return rebuild_cells(connection)


def rebuild_cells(connection: Connection) -> int:
    """Replace the cells with the sums of the milestone rows; returns the cases.

    Summed in Python: the bucket of a stage's days needs calendar days in Europe/Berlin, which the two databases
    spell differently. First per month and all four keys at once (a few increments per case), then spread over
    the breakdowns; the rows are read in chunks of case ids, so memory stays flat at a million cases."""
    connection.execute(delete(FunnelCell.__table__))
    fine: Counter = Counter()
    cells: dict = {}
    cases = 0
    for row in _all_rows(connection):
        month, keys = cohort_month(row.opened_at), _keys(row)
        for metric, b in _metrics(row):
            fine[(month, keys, metric, b)] += 1
        _cells(month, _withdrawal(row), 1, cells)
        cases += 1
    for (month, keys, metric, b), count in fine.items():
        _cells(month, [(dim, key, metric, b) for dim, key in zip(("all", *DIMS), ("", *keys), strict=True)],
               count, cells)
    rows = _rows(cells)
    for start in range(0, len(rows), 5000):
        connection.execute(insert(FunnelCell.__table__), rows[start:start + 5000])
    return cases


def snapshot() -> dict:
    """The non-empty cells (tests compare the incremental cells with a rebuild)."""
    table = FunnelCell.__table__
    result = {}
    for row in db.session.execute(select(table)):
        values = tuple(row._mapping[name] for name in ("n", *BUCKET_COLUMNS))
        if any(values):
            result[tuple(row._mapping[key] for key in CELL_KEYS)] = values
    return result


def milestone_rows() -> dict[int, tuple]:
    """The milestone rows by case (tests compare them with a rebuild)."""
    table = CaseMilestone.__table__
    return {row.case_id: tuple(row) for row in db.session.execute(select(table))}



def forget_withdrawal_reasons(case_ids: list[int]) -> None:
    """Erasure (app.privacy): a withdrawal reason is free text, so these cases' reasons become empty, their share
    moves to the cell without a reason (what a rebuild from the anonymised timeline gives) and a reason's cell
    left counting nobody goes. Only the withdrawal's share changes: one upsert for all the cases."""
    rows = db.session.scalars(select(CaseMilestone).where(CaseMilestone.case_id.in_(case_ids),
                                                          CaseMilestone.withdrawn_reason != "")
                              .order_by(CaseMilestone.case_id).with_for_update()
                              .execution_options(populate_existing=True))
    cells: dict = {}
    reasons = set()
    for row in rows:
        month = cohort_month(row.opened_at)
        _cells(month, _withdrawal(row), -1, cells)
        reasons.add(row.withdrawn_reason[:REASON_LENGTH])
        row.withdrawn_reason = ""
        _cells(month, _withdrawal(row), 1, cells)
    if not reasons:
        return
    db.session.flush()
    upserts.add(FunnelCell.__table__, CELL_KEYS, _rows(cells))
    table = FunnelCell.__table__  # a reason's cell that counts nobody now would still hold the text
    db.session.execute(delete(table).where(table.c.dim == "reason", table.c.key.in_(reasons), table.c.n == 0))
