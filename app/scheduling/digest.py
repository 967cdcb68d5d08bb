"""The morning digest: one email per scout (or lead) listing their due and overdue reminders; a lead's also names
the team's overdue reminders (and a lead gets one whenever the team has some).

The job queues the mails into the outbox (key "digest:<user>:<date>", so a second run the same day
queues nothing); the dispatcher sends them. The list is loaded when the mail is rendered, i.e. sent.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from app.auth.models import User
from app.cases.models import Business, Case
from app.extensions import db
from app.scheduling import outbox
from app.scheduling.models import OutboxMessage, Reminder
from app.scheduling.reminders import ASSIGNEE_ROLES, end_of_day
from app.timeutil import BERLIN, today_berlin, utcnow

TEMPLATE = "digest"


def queue_digests(now: datetime | None = None) -> int:
    """Queue today's digest for every active scout with something due; returns how many were queued."""
    now = now or utcnow()
    day = today_berlin(now)
    recipients = db.session.execute(
        select(User.id, User.email).join(Reminder, Reminder.assignee_id == User.id)
        .where(User.active, User.role.in_(ASSIGNEE_ROLES), Reminder.state == "open",
               Reminder.due_at < end_of_day(now))
        .group_by(User.id, User.email).order_by(User.id)).all()
    if db.session.scalar(select(Reminder.id).where(Reminder.state == "open", Reminder.due_at < _start(day))
                         .limit(1)) is not None:
        # The team has overdue reminders: every active lead hears of them, even with nothing of their own due.
        leads = db.session.execute(select(User.id, User.email).where(User.active, User.role == "lead")).all()
        recipients = sorted({tuple(row) for row in recipients} | {tuple(row) for row in leads})
    queued = 0
    for user_id, email in recipients:
        row = outbox.queue(recipient=email, audience="staff", template_key=TEMPLATE, due_at=now,
                           unique_key=f"digest:{user_id}:{day.isoformat()}",
                           context={"user_id": user_id, "date": day.isoformat()})
        queued += row is not None
    db.session.flush()
    return queued


@dataclass(frozen=True)
class DigestItem:
    title: str
    due_at: datetime
    overdue: bool  # due before the digest's day
    business: str
    case_url: str


def _absolute(endpoint: str, **values) -> str:
    """A link into ProCheck that works outside a request (the dispatcher renders the mail)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=BERLIN)


def digest_context(row: OutboxMessage) -> dict:
    day = date.fromisoformat(row.context["date"])
    user = db.session.get(User, row.context["user_id"])
    start = _start(day)
    rows = db.session.execute(
        select(Reminder.title, Reminder.due_at, Reminder.case_id, Business.name)
        .join(Case, Case.id == Reminder.case_id).join(Business, Business.id == Case.business_id)
        .where(Reminder.assignee_id == user.id, Reminder.state == "open", Reminder.due_at < end_of_day(start))
        .order_by(Reminder.due_at, Reminder.id)).all()
    items = [DigestItem(title, due_at, due_at < start, name, _absolute("cases.show", case_id=case_id))
             for title, due_at, case_id, name in rows]
    team = None
    if user.role == "lead":  # the lead steers the team: its overdue count, with the link to the review queue
        team = db.session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.state == "open", Reminder.due_at < start))
    return {"staff": user, "day": day, "items": items, "overdue": sum(item.overdue for item in items),
            "today_url": _absolute("scheduling.today"), "team_overdue": team,
            "review_url": _absolute("review.queue") if team else None}

