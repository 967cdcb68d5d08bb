"""Follow-up rules: entering a state schedules its reminders and emails in the same transaction as the move;
leaving a state cancels what it scheduled and has not happened yet."""

from datetime import datetime
from types import SimpleNamespace

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, String, cast, func, insert, literal, select, update

from app.cases import notices, workflow
from app.cases.models import Case, CaseEvent
from app.cases.services import add_event
from app.cases.vocab import EventKind
from app.extensions import db
from app.scheduling import mails, outbox, reminders
from app.scheduling.calendar import add_business_days
from app.scheduling.consent import refusal
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder, ReminderState
from app.scheduling.outbox_admin import template_label
from app.timeutil import UTCDateTime, utcnow

# DESIGN.md §5, seeded once; the team lead edits them on /rules.
DEFAULT_RULES = (
    ("contacted", "reminder", 3, "Termin für den Digitalisierungscheck vereinbaren", None, False),
    ("check_done", "email_business", 0, "", "check_results", False),
    ("check_done", "email_business", 10, "", "workshop_suggestions", False),
    ("check_done", "reminder", 15, "Workshop oder Vermittlung anbieten", None, False),
    ("workshop_attended", "email_business", 2, "", "workshop_thanks", False),
    ("workshop_attended", "reminder", 10, "Vermittlung an einen Partner prüfen", None, False),
    ("referred", "email_business", 0, "", "referral_info", False),
    ("referred", "email_partner", 0, "", "referral_partner", False),
    ("referred", "email_business", 30, "", "how_is_it_going", False),
    ("referred", "reminder", 35, "Nachfassen: keine Antwort auf „Wie läuft es?“", None, True),
    ("implemented", "email_business", 120, "", "recheck_invitation", False),
)


def seed_default_rules() -> None:
    """Insert the default rules when there are none yet (idempotent)."""
    if db.session.scalar(select(FollowUpRule.id).limit(1)) is None:
        db.session.add_all(FollowUpRule(state=state, action=action, delay_days=days, title=title,
                                        template_key=template, until_answer=until_answer)
                           for state, action, days, title, template, until_answer in DEFAULT_RULES)
        db.session.flush()


def on_case_opened(case: Case, entry: CaseEvent) -> None:
    """A new case gets the follow-ups of its first state."""
    schedule_state(case, workflow.INITIAL, entry)


def on_cases_opened_in_bulk(new_cases, at: datetime) -> None:
    """Cases opened together get the first state's follow-ups: a reminder rule is one INSERT … SELECT for all
    (the same due time and the unique key on_case_opened would give); an e-mail rule goes case by case (no
    default rule mails on opening, and an imported business has no consent, so such mails are only cancelled)."""
    rules = db.session.scalars(select(FollowUpRule).where(
        FollowUpRule.state == workflow.INITIAL, FollowUpRule.active.is_(True)).order_by(FollowUpRule.id))
    cases = Case.__table__
    for rule in rules:
        if rule.action != "reminder":
            entry = SimpleNamespace(created_at=at)
            for case in db.session.scalars(select(Case).where(Case.id.in_(new_cases)).order_by(Case.id)):
                schedule(rule, case, entry)
            continue
        due = add_business_days(at, rule.delay_days)
        key = (literal(f"rule:{rule.id}:case:") + cast(cases.c.id, String)
               + literal(f":at:{at.isoformat()}"))
        columns = ("case_id", "assignee_id", "due_at", "title", "state", "rule_id", "source_state", "until_answer",
                   "unique_key", "created_at", "close_reason")
        db.session.execute(insert(Reminder).from_select(columns, select(
            cases.c.id, cases.c.owner_id, literal(due, UTCDateTime()), literal(rule.title),
            literal(ReminderState.OPEN.value), literal(rule.id), literal(rule.state),
            literal(rule.until_answer, Boolean()), key, literal(utcnow(), UTCDateTime()), literal(""),
        ).where(cases.c.id.in_(new_cases))))
    earliest = (select(func.min(Reminder.due_at))
                .where(Reminder.case_id == cases.c.id, Reminder.state == ReminderState.OPEN).scalar_subquery())
    db.session.execute(update(cases).where(cases.c.id.in_(new_cases)).values(next_due_at=earliest))


def on_case_moved(case: Case, move: workflow.Move, entry: CaseEvent) -> None:
    """Cancel the old state's pending follow-ups, schedule the new state's."""
    reason = str(_l("The case left “%(state)s”.", state=workflow.state_label(move.source)))
    cancelled = (reminders.cancel_open(case, reason, source_state=move.source)
                 + outbox.cancel_pending_for_state(case, move.source, reason))
    if cancelled:
        add_event(case, EventKind.FOLLOW_UPS_CANCELLED, None, reason, count=cancelled)
    schedule_state(case, move.target, entry)


def schedule_state(case: Case, state: str, entry: CaseEvent) -> None:
    rules = db.session.scalars(select(FollowUpRule).where(
        FollowUpRule.state == state, FollowUpRule.active.is_(True)).order_by(FollowUpRule.id))
    for rule in rules:
        schedule(rule, case, entry)
    reminders.sync_next_due(case.id)


def schedule(rule: FollowUpRule, case: Case, entry: CaseEvent) -> None:
    due = add_business_days(entry.created_at, rule.delay_days)
    if rule.action == "reminder":
        # One reminder per entry into the state: a reopened case gets its reminders again.
        reminders.create(case, case.owner_id, due, rule.title, rule_id=rule.id, source_state=rule.state,
                         until_answer=rule.until_answer,
                         unique_key=f"rule:{rule.id}:case:{case.id}:at:{entry.created_at.isoformat()}")
    elif rule.action == "email_business":
        # Without consent (or after an unsubscribe) the email is not planned at all: the timeline says why.
        if problem := refusal(case.business):
            text = str(_l("No email planned: %(template)s. %(reason)s", template=template_label(rule.template_key),
                          reason=problem))
            add_event(case, EventKind.EMAIL_CANCELLED, None, text, template=rule.template_key)
            notices.add(text)
            return
        # One email per rule and case, ever: reopening a case does not resend what was sent.
        row = outbox.queue(recipient=case.business.email, audience="business", template_key=rule.template_key,
                           due_at=due, unique_key=f"rule:{rule.id}:case:{case.id}", case_id=case.id,
                           rule_id=rule.id, source_state=rule.state, context={"case_id": case.id})
        _announce(row)
    elif rule.action == "email_partner":
        for recipient in mails.registry().recipients["partner"](case):
            _announce(outbox.queue(recipient=recipient.email, audience="partner", template_key=rule.template_key,
                                   due_at=due, unique_key=f"rule:{rule.id}:{recipient.unique}", case_id=case.id,
                                   rule_id=rule.id, source_state=rule.state, context=recipient.context))


def _announce(row: OutboxMessage | None) -> None:
    """Say in the confirmation which email the move planned: going out now, or on which day."""
    if row is None:  # scheduled or sent before
        return
    template = template_label(row.template_key)
    if row.due_at <= utcnow():
        notices.add(str(_l("Email to %(recipient)s goes out within a minute: %(template)s.",
                           template=template, recipient=row.recipient)))
    else:
        notices.add(str(_l("Email to %(recipient)s planned for %(day)s: %(template)s.", template=template,
                           recipient=row.recipient, day=format_date(row.due_at, "dd.MM.yyyy"))))
