"""The lead's review queue: stuck cases, overdue reminders per scout, cases waiting on the business, failed mails.

Every section is a count and a page of rows, each read through an index at any size:
- stuck: per watched state, cases whose latest timeline entry (cases.last_activity_at) is older than the
  state's limit in working days (ix_cases_state_activity: a range per state; the page is a UNION ALL of
  the per-state ranges, each read in order and cut at the page's end);
- overdue: open reminders due before today, counted per assignee on ix_reminders_assignee_state_due (one
  correlated count per account, in one statement) and listed on ix_reminders_state_due;
- waiting on the business: cases.awaiting_business_since (a self-check link or answer links sent, unanswered);
- failed mails: the outbox's failed rows grouped by case (ix_outbox_status_due_id).
The rows' cases, businesses and owners come with two selectin queries per page, never one per row.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.cases.models import Case
from app.cases.vocab import State
from app.counting import count_upto
from app.errors import DomainError
from app.extensions import db
from app.reports.models import StuckThreshold
from app.scheduling.calendar import business_days_between, is_business_day
from app.scheduling.models import OutboxMessage, Reminder
from app.scheduling.queries import team_overdue_count
from app.scheduling.reminders import ASSIGNEE_ROLES
from app.timeutil import BERLIN, today_berlin, utcnow

# The limits until the lead changes them (None: the state is not watched; implemented waits for the re-check).
DEFAULT_THRESHOLDS: dict[str, int | None] = {
    State.CONTACTED: 10, State.CHECK_DONE: 15, State.WORKSHOP_ATTENDED: 20, State.REFERRED: 20,
    State.IMPLEMENTED: None,
}
WATCHABLE = tuple(DEFAULT_THRESHOLDS)  # the open states; a withdrawn case is never stuck
MAX_WORKING_DAYS = 250
COUNT_CAP = 1000  # every section counts this far and then says "1.000+" (a backlog costs no full scan)


class ThresholdRefused(DomainError):
    """A limit outside 1..250 working days."""


@dataclass(frozen=True)
class Page:
    """A page of a section: its rows, the section's total and where we are (the template's pager)."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- settings --------------------------------------------------------------------------------------------------

def thresholds() -> dict[str, int | None]:
    """Working days without activity after which a case in each watched state is stuck."""
    result = dict(DEFAULT_THRESHOLDS)
    result.update(db.session.execute(select(StuckThreshold.state, StuckThreshold.working_days)).all())
    return result


def save_thresholds(values: dict[str, int | None]) -> None:
    """Store the lead's limits (None switches a state off); refuses values outside 1..250 and unknown states."""
    for state, days in values.items():
        if state not in WATCHABLE:
            raise ThresholdRefused(_l("Unknown state."))
        if days is not None and not 1 <= days <= MAX_WORKING_DAYS:
            raise ThresholdRefused(_l("Please enter between 1 and %(max)d working days, or leave it empty.",
                                      max=MAX_WORKING_DAYS))
        db.session.merge(StuckThreshold(state=state, working_days=days))
    db.session.flush()


# --- stuck cases -----------------------------------------------------------------------------------------------

def working_days_before(day: date, days: int) -> date:
    """The working day `days` working days before `day` (weekends and the state's holidays skipped)."""
    while days:
        day -= timedelta(days=1)
        if is_business_day(day):
            days -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Full working days after `start` up to and including `end` (what the queue shows as "idle for")."""
    return business_days_between(start, end)


def cutoffs(now: datetime | None = None) -> dict[str, datetime]:
    """Per watched state the moment before which the latest activity makes a case stuck: the start (Berlin) of
    the day N working days before today, so that N whole working days have passed without an entry."""
    today = today_berlin(now)
    return {state: datetime.combine(working_days_before(today, days), time(0, 0), tzinfo=BERLIN)
            for state, days in thresholds().items() if days}


def _stuck_in(state: str, cutoff: datetime):
    return (Case.state == state) & (Case.last_activity_at < cutoff)


def stuck_counts(cuts: dict[str, datetime]) -> dict[str, int]:
    """Stuck cases per watched state (one indexed range count each, up to the cap)."""
    return {state: count_upto(select(Case.id).where(_stuck_in(state, cut)), COUNT_CAP) for state, cut in cuts.items()}


def _load_cases(ids: list[int]) -> list[Case]:
    """The cases of a page in the given order, with business (and its municipality) and owner."""
    if not ids:
        return []
    found = {case.id: case for case in db.session.scalars(
        select(Case).where(Case.id.in_(ids)).options(selectinload(Case.business), selectinload(Case.owner)))}
    return [found[i] for i in ids if i in found]


def stuck_page(cuts: dict[str, datetime], counts: dict[str, int], state: str | None, page: int,
               per_page: int) -> Page:
    """Stuck cases, longest idle first: one state's range, or the per-state ranges merged."""
    chosen = {state: cuts[state]} if state in cuts else cuts
    total = sum(counts.get(s, 0) for s in chosen)
    if not chosen:
        return Page([], 0, page, per_page)
    offset = (page - 1) * per_page
    parts = [select(Case.id, Case.last_activity_at).where(_stuck_in(s, cut))
             .order_by(Case.last_activity_at, Case.id).limit(offset + per_page).subquery()
             for s, cut in chosen.items()]
    merged = union_all(*(select(part.c.id, part.c.last_activity_at) for part in parts)).subquery()
    ids = list(db.session.scalars(select(merged.c.id).order_by(merged.c.last_activity_at, merged.c.id)
                                  .offset(offset).limit(per_page)))
    return Page(_load_cases(ids), total, page, per_page)


# --- overdue reminders -----------------------------------------------------------------------------------------

def start_of_today(now: datetime | None = None) -> datetime:
    return datetime.combine(today_berlin(now), time(0, 0), tzinfo=BERLIN)


def overdue_per_assignee(now: datetime | None = None) -> list[tuple[User, int]]:
    """Accounts with overdue reminders (an inactive one too: its reminders still wait), most first."""
    start = start_of_today(now)
    users = list(db.session.scalars(select(User).where(User.role.in_(ASSIGNEE_ROLES)).order_by(User.id)))
    if not users:
        return []
    # One statement: per account a range of ix_reminders_assignee_state_due, each cut at the cap.
    parts = [select(literal(user.id).label("user_id"), func.count().label("n")).select_from(
        select(Reminder.id).where(Reminder.assignee_id == user.id, Reminder.state == "open", Reminder.due_at < start)
        .limit(COUNT_CAP + 1).subquery()) for user in users]
    counts = dict(db.session.execute(union_all(*parts)).all())
    return sorted(((user, counts.get(user.id, 0)) for user in users if counts.get(user.id)),
                  key=lambda row: (-row[1], row[0].name))


def overdue_page(assignee_id: int | None, total: int, page: int, per_page: int,
                 now: datetime | None = None) -> Page:
    """Overdue reminders (one assignee's or everyone's), oldest first, with case, business and owner."""
    query = (select(Reminder).where(Reminder.state == "open", Reminder.due_at < start_of_today(now))
             .order_by(Reminder.due_at, Reminder.id).offset((page - 1) * per_page).limit(per_page))
    if assignee_id:
        query = query.where(Reminder.assignee_id == assignee_id)
    reminders = list(db.session.scalars(query))
    cases = {case.id: case for case in _load_cases(sorted({r.case_id for r in reminders}))}
    return Page([(reminder, cases[reminder.case_id]) for reminder in reminders], total, page, per_page)


def team_overdue(now: datetime | None = None) -> int:
    return team_overdue_count(now)


# --- waiting on the business -----------------------------------------------------------------------------------

def _waiting():
    return Case.awaiting_business_since.is_not(None), Case.state != State.WITHDRAWN


def waiting_count() -> int:
    return count_upto(select(Case.id).where(*_waiting()), COUNT_CAP)


def waiting_page(total: int, page: int, per_page: int) -> Page:
    """Cases whose self-check link or answer links are unanswered, waiting longest first."""
    ids = list(db.session.scalars(select(Case.id).where(*_waiting())
                                  .order_by(Case.awaiting_business_since, Case.state, Case.id)
                                  .offset((page - 1) * per_page).limit(per_page)))
    return Page(_load_cases(ids), total, page, per_page)


# --- failed mails ----------------------------------------------------------------------------------------------

def _failed():
    return OutboxMessage.status == "failed", OutboxMessage.case_id.is_not(None)


def failed_count() -> int:
    """Cases with at least one failed mail (up to the cap)."""
    return count_upto(select(OutboxMessage.case_id).where(*_failed()).distinct(), COUNT_CAP)


@dataclass(frozen=True)
class FailedRow:
    case: Case
    mails: int
    latest: datetime


def failed_page(total: int, page: int, per_page: int) -> Page:
    """Cases with failed mails, the most recent failure first: how many, and when the latest was due."""
    latest = func.max(OutboxMessage.due_at).label("latest")
    rows = db.session.execute(
        select(OutboxMessage.case_id, func.count().label("mails"), latest).where(*_failed())
        .group_by(OutboxMessage.case_id).order_by(latest.desc(), OutboxMessage.case_id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    cases = {case.id: case for case in _load_cases([row.case_id for row in rows])}
    return Page([FailedRow(cases[row.case_id], row.mails, row.latest) for row in rows if row.case_id in cases],
                total, page, per_page)


def idle_days(case: Case, now: datetime | None = None) -> int:
    """Working days since the case's latest activity (shown in the stuck list)."""
    if case.last_activity_at is None:
        return 0
    return working_days_between(case.last_activity_at.astimezone(BERLIN).date(), today_berlin(now or utcnow()))


