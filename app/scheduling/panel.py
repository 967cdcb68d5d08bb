"""What the case page shows about follow-ups: the reminders with their form, and emails that failed."""

from dataclasses import dataclass
from datetime import timedelta

from app.cases.models import Case
from app.scheduling import queries, reminders
from app.scheduling.calendar import is_business_day
from app.scheduling.forms import DEFAULT_TIME, ReminderForm
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import today_berlin


@dataclass(frozen=True)
class FollowUps:
    open: list[Reminder]
    closed: list[Reminder]
    form: ReminderForm
    failed_mails: list[OutboxMessage]


def new_reminder_form(case: Case, formdata=None) -> ReminderForm:
    """The form for a new reminder: for the case owner, on the next business day at nine (Berlin)."""
    today = today_berlin()
    day = today + timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return ReminderForm(formdata=formdata, prefix="reminder", earliest=today, assignees=reminders.assignees(),
                        data={"assignee_id": case.owner_id, "due_date": day, "due_time": DEFAULT_TIME})


def follow_ups_for(case: Case) -> FollowUps:
    open_, closed = queries.for_case(case.id)
    return FollowUps(open_, closed, new_reminder_form(case), queries.failed_mails_for_case(case.id))
