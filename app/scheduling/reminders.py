"""Reminders (Wiedervorlagen): create, edit, complete, snooze, cancel; keep each case's next due time.

The operations a person triggers write the timeline, keep Case.next_due_at in step and commit once;
create/close/cancel_open are the building blocks the follow-up rules use inside a move's transaction.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import add_event
from app.cases.vocab import EventKind
from app.extensions import db
from app.scheduling.calendar import is_business_day
from app.scheduling.models import Reminder
from app.timeutil import BERLIN, today_berlin, utcnow

ASSIGNEE_ROLES = ("scout", "lead")
SNOOZE_DAYS = {"day": 1, "week": 7}


def sync_next_due(case_id: int) -> None:
    """Case.next_due_at = the earliest open reminder (one UPDATE; not a user edit, so no version bump)."""
    earliest = (select(func.min(Reminder.due_at))
                .where(Reminder.case_id == case_id, Reminder.state == "open").scalar_subquery())
    db.session.execute(update(Case).where(Case.id == case_id).values(next_due_at=earliest)
                       .execution_options(synchronize_session=False))


def create(case: Case, assignee_id: int, due_at: datetime, title: str, *, created_by: User | None = None,
           rule_id: int | None = None, source_state: str | None = None, until_answer: bool = False,
           unique_key: str | None = None) -> Reminder:
    reminder = Reminder(case_id=case.id, assignee_id=assignee_id, due_at=due_at, title=title,
                        created_by_id=created_by.id if created_by else None, rule_id=rule_id,
                        source_state=source_state, until_answer=until_answer, unique_key=unique_key)
    db.session.add(reminder)
    return reminder


def close(reminder: Reminder, state: str, reason: str = "") -> None:
    reminder.state, reminder.closed_at, reminder.close_reason = state, utcnow(), reason


def cancel_open(case: Case, reason: str, *, source_state: str | None = None, until_answer: bool = False) -> int:
    """Cancel the case's open reminders made for source_state (or those waiting for an answer)."""
    query = select(Reminder).where(Reminder.case_id == case.id, Reminder.state == "open")
    if source_state is not None:
        query = query.where(Reminder.source_state == source_state)
    if until_answer:
        query = query.where(Reminder.until_answer.is_(True))
    count = 0
    for reminder in db.session.scalars(query):
        close(reminder, "cancelled", reason)
        count += 1
    return count


# --- Berlin wall-clock times ------------------------------------------------------------------------------------


def follow_owner(moves: list[tuple[Case, int]], new_owner_id: int) -> None:
    """Reassigned cases' open reminders for their old owner go to the new one (and with them the digest): one
    UPDATE per old owner."""
    by_old_owner: dict[int, list[int]] = {}
    for case, old_owner_id in moves:
        by_old_owner.setdefault(old_owner_id, []).append(case.id)
    for old_owner_id, case_ids in sorted(by_old_owner.items()):
        db.session.execute(update(Reminder).where(Reminder.case_id.in_(case_ids), Reminder.state == "open",
                                                  Reminder.assignee_id == old_owner_id)
                           .values(assignee_id=new_owner_id).execution_options(synchronize_session="fetch"))


def berlin_time(day: date, clock: time) -> datetime:
    """A date and time as a scout means them (Europe/Berlin), as an aware datetime."""
    return datetime.combine(day, clock, tzinfo=BERLIN)


def end_of_day(now: datetime | None = None) -> datetime:
    """The start of tomorrow in Berlin: everything due before it is due today (or overdue)."""
    today = today_berlin(now)
    return berlin_time(today + timedelta(days=1), time(0, 0))


def snoozed_until(reminder: Reminder, days: int, now: datetime | None = None) -> datetime:
    """`days` after the due date, or after today for an overdue one, at the same clock time; weekends and
    holidays roll on to the next business day (a scout snoozing on Friday "until tomorrow" means Monday)."""
    due = reminder.due_at.astimezone(BERLIN)
    day = max(due.date(), today_berlin(now)) + timedelta(days=days)
    while not is_business_day(day):
        day += timedelta(days=1)
    return berlin_time(day, due.time().replace(tzinfo=None))


# --- what a person does ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderInput:
    title: str
    due_at: datetime
    assignee_id: int


def assignees() -> list[User]:
    """Who can be given a reminder: the active scouts and the team lead, not an account being handed over."""
    return list(db.session.scalars(select(User).where(User.role.in_(ASSIGNEE_ROLES), User.takes_work)
                                   .order_by(User.name)))


def add(case: Case, actor: User, data: ReminderInput) -> Reminder:
    reminder = create(case, data.assignee_id, data.due_at, data.title.strip(), created_by=actor)
    db.session.flush()
    add_event(case, EventKind.REMINDER_CREATED, actor, _("%(title)s (due %(due)s)", title=reminder.title,
                                                 due=_shown(reminder.due_at)), reminder_id=reminder.id,
              due_at=reminder.due_at.isoformat(), assignee_id=reminder.assignee_id)
    _finish(case.id)
    return reminder


def edit(reminder: Reminder, data: ReminderInput) -> None:
    reminder.title, reminder.due_at, reminder.assignee_id = data.title.strip(), data.due_at, data.assignee_id
    _finish(reminder.case_id)


def complete(reminder: Reminder, actor: User) -> None:
    close(reminder, "done")
    add_event(db.session.get(Case, reminder.case_id), EventKind.REMINDER_DONE, actor, reminder.title,
              reminder_id=reminder.id)
    _finish(reminder.case_id)


def snooze(reminder: Reminder, actor: User, due_at: datetime) -> None:
    before = reminder.due_at
    reminder.due_at = due_at
    add_event(db.session.get(Case, reminder.case_id), EventKind.REMINDER_SNOOZED, actor,
              _("%(title)s (now due %(due)s)", title=reminder.title, due=_shown(due_at)),
              reminder_id=reminder.id, from_due=before.isoformat(), to_due=due_at.isoformat())
    _finish(reminder.case_id)


def _shown(moment: datetime) -> str:
    return format_datetime(moment, "dd.MM.yyyy HH:mm")


def _finish(case_id: int) -> None:
    db.session.flush()
    sync_next_due(case_id)
