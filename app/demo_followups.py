"""Demo follow-ups: what the rules produced for a demo case, made to look as if they had run back then.

The demo cases move through the real state machine within seconds, so the rules stamp their reminders,
emails and timeline entries with the seeding time. This moves them to the (backdated) move that made
them, and plays the time in between: mails that fell due were sent, reminders that fell due were done,
so the next move only cancels what was still pending then. Near today some reminders stay open (a few
overdue, some due today, some in the coming days) and the freshest due mails stay pending for the
dispatcher.
"""

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.cases.services import add_event
from app.extensions import db
from app.scheduling import reminders
from app.scheduling.calendar import add_business_days, is_business_day
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.timeutil import BERLIN, today_berlin

RULE_EVENTS = ("follow_ups_cancelled", "email_cancelled")
MAILS_LEFT_PENDING = timedelta(days=3)  # due mails younger than this wait for the dispatcher
REMINDERS_LEFT_OPEN = timedelta(days=10)  # due reminders younger than this may still be open (overdue)
MIN_PENDING_DUE_MAILS = 5
MANUAL_TITLES = (
    "Rückruf: Termin für den Check bestätigen", "Angebot des IT-Dienstleisters nachfragen",
    "Unterlagen zur E-Rechnung schicken", "Nachfragen, ob der Förderantrag gestellt ist",
    "Zugang zum Online-Terminbuchungssystem besprechen", "Ergebnis des Partnergesprächs erfragen",
    "Einladung zum nächsten Workshop persönlich aussprechen", "Fragen zur digitalen Zeiterfassung klären",
)


class FollowUpClock:
    """Backdates and plays forward the follow-ups of one demo case at a time."""

    def __init__(self, now: datetime, seed: int = 7) -> None:
        self.now, self.rng = now, random.Random(seed)
        self.delays = {rule.id: rule.delay_days for rule in db.session.scalars(select(FollowUpRule))}

    def _fresh(self, model, case: Case, *criteria):
        """What the rules wrote for the case just now (everything older is already backdated)."""
        return db.session.scalars(select(model).where(model.case_id == case.id, *criteria))

    def after_move(self, case: Case, at: datetime) -> None:
        """Stamp what the move's rules created, cancelled and noted with the move's (backdated) time."""
        db.session.flush()
        for reminder in self._fresh(Reminder, case):
            if reminder.created_at >= self.now:
                reminder.created_at = at
                if reminder.rule_id in self.delays:
                    reminder.due_at = add_business_days(at, self.delays[reminder.rule_id])
            if reminder.closed_at is not None and reminder.closed_at >= self.now:
                reminder.closed_at = at
        for mail in self._fresh(OutboxMessage, case, OutboxMessage.created_at >= self.now):
            mail.created_at = at
            mail.due_at = add_business_days(at, self.delays.get(mail.rule_id, 0))
        for event in self._fresh(CaseEvent, case, CaseEvent.kind.in_(RULE_EVENTS), CaseEvent.created_at >= self.now):
            event.created_at = at

    def settle(self, case: Case, owner: User, until: datetime, *, keep_recent: bool = False) -> None:
        """Play time forward to `until`: due mails were sent, due reminders done by the owner."""
        db.session.flush()
        for mail in self._fresh(OutboxMessage, case, OutboxMessage.status == "pending", OutboxMessage.due_at <= until):
            if keep_recent and mail.due_at > self.now - MAILS_LEFT_PENDING:
                continue
            mail.status, mail.attempts = "sent", 1
            mail.sent_at = mail.first_attempt_at = mail.due_at + timedelta(seconds=self.rng.randint(20, 90))
        for reminder in self._fresh(Reminder, case, Reminder.state == "open", Reminder.due_at <= until):
            if keep_recent and reminder.due_at > self.now - REMINDERS_LEFT_OPEN and self.rng.random() < 0.6:
                continue
            done = self._office_hours(reminder.due_at + timedelta(days=self.rng.choice((0, 0, 1, 2))))
            reminder.state, reminder.closed_at = "done", min(max(done, reminder.due_at), until)
            add_event(case, "reminder_done", owner, reminder.title, reminder_id=reminder.id).created_at = \
                reminder.closed_at

    def finish(self, case: Case, owner: User) -> None:
        """Bring the case up to today, perhaps add a reminder the scout set by hand, keep next_due_at right."""
        self.settle(case, owner, self.now, keep_recent=True)
        if case.state in workflow.OPEN_STATES:
            self._manual_reminder(case, owner)
        db.session.flush()
        reminders.sync_next_due(case.id)

    def _manual_reminder(self, case: Case, owner: User) -> None:
        today, roll = today_berlin(self.now), self.rng.random()
        if roll < 0.10:
            day = today - timedelta(days=self.rng.randint(1, 7))
            while not is_business_day(day):
                day -= timedelta(days=1)
            due = _berlin(day, 10)
        elif roll < 0.20:
            due = _berlin(today, self.rng.randint(9, 16))
        elif roll < 0.45:
            day = today + timedelta(days=self.rng.randint(1, 10))
            while not is_business_day(day):
                day += timedelta(days=1)
            due = _berlin(day, 9)
        else:
            return
        last = db.session.scalar(select(CaseEvent.created_at).where(CaseEvent.case_id == case.id)
                                 .order_by(CaseEvent.created_at.desc()).limit(1))
        created = max(last + timedelta(hours=1),
                      self._office_hours(min(due, self.now) - timedelta(days=self.rng.uniform(2, 9))))
        if created >= min(due, self.now):
            return  # the case's last activity is too recent for this reminder to be set before it fell due
        reminder = reminders.create(case, owner.id, due, self.rng.choice(MANUAL_TITLES), created_by=owner)
        reminder.created_at = created
        db.session.flush()
        text = f"{reminder.title} (fällig {due.astimezone(BERLIN):%d.%m.%Y %H:%M})"
        add_event(case, "reminder_created", owner, text, reminder_id=reminder.id).created_at = created

    def _office_hours(self, moment: datetime) -> datetime:
        """The same day (Friday for a weekend) between 8 and 17 o'clock in Berlin."""
        day = moment.astimezone(BERLIN).date()
        day -= timedelta(days=max(0, day.weekday() - 4))
        clock = time(self.rng.randint(8, 16), self.rng.randint(0, 59))
        return datetime.combine(day, clock, tzinfo=BERLIN).astimezone(UTC)


def _berlin(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=BERLIN).astimezone(UTC)


def keep_some_mails_due(now: datetime) -> None:
    """A few mails already due stay pending, so `flask procheck dispatch --once` has something to send."""
    pending = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == "pending", OutboxMessage.due_at <= now).limit(MIN_PENDING_DUE_MAILS)).all()
    missing = MIN_PENDING_DUE_MAILS - len(pending)
    if missing <= 0:
        return
    latest = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")
                                .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id).limit(missing))
    for mail in latest:
        mail.status, mail.sent_at, mail.first_attempt_at, mail.attempts = "pending", None, None, 0
