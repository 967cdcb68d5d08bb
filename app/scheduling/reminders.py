"""Reminders (Wiedervorlagen): create, complete, snooze, cancel; keep each case's next due time."""

from datetime import datetime

from sqlalchemy import func, select, update

from app.auth.models import User
from app.cases.models import Case
from app.extensions import db
from app.scheduling.models import Reminder
from app.timeutil import utcnow


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
