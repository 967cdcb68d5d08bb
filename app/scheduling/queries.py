"""Read-side queries for the follow-up pages: joins and aggregates, never a query per row."""

from collections.abc import Callable
from datetime import datetime, time
from typing import TypeVar

from flask import g, has_request_context
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, select

from app.cases.models import Business, Case
from app.counting import count_upto
from app.extensions import db
from app.scheduling.models import ATTENTION, FollowUpRule, OutboxMessage, OutboxStatus, Reminder
from app.scheduling.reminders import end_of_day
from app.timeutil import BERLIN, today_berlin

T = TypeVar("T")

CLOSED_SHOWN = 50  # done and cancelled reminders on a case page, newest first
FAILED_SHOWN = 20
DUE_COUNT_CAP = 999  # the badge says "999+" beyond
OUTBOX_COUNT_CAP = 1000  # the outbox's status list says "1.000+" beyond
TEAM_OVERDUE_CAP = 1000  # the lead's Heute, digest and review queue say "1.000+" beyond


class RowPagination(SelectPagination):
    """db.paginate for a select of several columns: the items are rows, not the first column's scalars."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).all())


def paginate_rows(query: Select, page: int, per_page: int, total: int | None = None) -> RowPagination:
    """A page of rows; with `total` given (a count the page already has) the pager does not count again."""
    pagination = RowPagination(select=query, session=db.session, page=page, per_page=per_page, error_out=False,
                               count=total is None)
    if total is not None:
        pagination.total = total
    return pagination


def due_for(user_id: int, page: int, per_page: int, now: datetime | None = None) -> RowPagination:
    """The user's open reminders due today or overdue (Berlin), oldest first, with the business's name.

    The pager's total is the badge's count, on ix_reminders_assignee_state_due alone (no join)."""
    query = (select(Reminder, Business.name.label("business_name"))
             .join(Case, Case.id == Reminder.case_id).join(Business, Business.id == Case.business_id)
             .where(Reminder.assignee_id == user_id, Reminder.state == "open", Reminder.due_at < end_of_day(now))
             .order_by(Reminder.due_at, Reminder.id))
    return paginate_rows(query, page, per_page, total=due_count(user_id, now))


def _once_per_request(key: tuple, compute: Callable[[], T]) -> T:
    """A count a page needs twice (the pager's total and the badge or the status list) is counted once."""
    if not has_request_context():
        return compute()
    memo = g.setdefault("scheduling_counts", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def due_count(user_id: int, now: datetime | None = None) -> int:
    """How many of the user's reminders are due today or overdue (the badge in the navigation and the
    pager of /today): a count on ix_reminders_assignee_state_due alone, once per request, that stops at
    DUE_COUNT_CAP + 1 (every page shows the badge; a backlog of 100,000 would be counted on each)."""
    def count() -> int:
        return count_upto(select(Reminder.id).where(Reminder.assignee_id == user_id, Reminder.state == "open",
                                                    Reminder.due_at < end_of_day(now)), DUE_COUNT_CAP)

    return count() if now is not None else _once_per_request(("due", user_id), count)


def team_overdue_count(now: datetime | None = None) -> int:
    """How many open reminders of the whole team are overdue (due before today, Berlin): what the lead's Heute,
    the lead's digest and the review queue name; one range count on ix_reminders_state_due."""
    start = datetime.combine(today_berlin(now), time(0, 0), tzinfo=BERLIN)

    def count() -> int:
        return count_upto(select(Reminder.id).where(Reminder.state == "open", Reminder.due_at < start),
                          TEAM_OVERDUE_CAP)

    return count() if now is not None else _once_per_request(("team_overdue",), count)


def for_case(case_id: int) -> tuple[list[Reminder], list[Reminder]]:
    """The case's open reminders (soonest first) and its latest closed ones (newest first)."""
    open_ = db.session.scalars(select(Reminder).where(Reminder.case_id == case_id, Reminder.state == "open")
                               .order_by(Reminder.due_at, Reminder.id)).all()
    closed = db.session.scalars(select(Reminder).where(Reminder.case_id == case_id, Reminder.state != "open")
                                .order_by(Reminder.closed_at.desc(), Reminder.id.desc()).limit(CLOSED_SHOWN)).all()
    return list(open_), list(closed)


def failed_mails_for_case(case_id: int) -> list[OutboxMessage]:
    """The case's emails that could not be delivered, newest first (the notice on the case page)."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id == case_id, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc()).limit(FAILED_SHOWN)))


OPEN = "open"  # the outbox page's default view: failed, waiting and being sent
ALL = "all"
OPEN_STATUSES = (OutboxStatus.FAILED, OutboxStatus.PENDING, OutboxStatus.SENDING)


def outbox_page(view: str, page: int, per_page: int, counts: dict[str, int] | None = None) -> RowPagination:
    """Outbox rows with the business of the case (mails to staff have none); the pager's total is taken from the
    per-status counts.

    `view` OPEN (the default): failed first, then waiting and being sent, the most overdue first
    (ix_outbox_attention). ALL: newest due first (ix_outbox_due_id). A status: waiting and being sent soonest
    due first, the others newest due first (ix_outbox_status_due_id)."""
    query = (select(OutboxMessage, Business.name.label("business_name"), Business.email_consent,
                    Business.unsubscribed_at)
             .outerjoin(Case, Case.id == OutboxMessage.case_id).outerjoin(Business, Business.id == Case.business_id))
    counts = outbox_counts() if counts is None else counts
    if view == OPEN:
        query = query.where(ATTENTION < 2).order_by(ATTENTION, OutboxMessage.due_at, OutboxMessage.id)
        total = sum(counts.get(status, 0) for status in OPEN_STATUSES)
    elif view == ALL:
        query = query.order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        total = sum(counts.values())
    else:
        query = query.where(OutboxMessage.status == view)
        if view in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            query = query.order_by(OutboxMessage.due_at, OutboxMessage.id)
        else:
            query = query.order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        total = counts.get(view, 0)
    return paginate_rows(query, page, per_page, total=total)


def outbox_counts() -> dict[str, int]:
    """Emails per status, once per request (the status list and the pager): each counted on
    ix_outbox_status_due_id up to OUTBOX_COUNT_CAP + 1, so a large sent history costs no full scan."""
    def count(status: OutboxStatus) -> int:
        return count_upto(select(OutboxMessage.id).where(OutboxMessage.status == status), OUTBOX_COUNT_CAP)

    return _once_per_request(("outbox",), lambda: {status.value: n for status in OutboxStatus
                                                   if (n := count(status))})


def all_rules() -> list[FollowUpRule]:
    return list(db.session.scalars(select(FollowUpRule).order_by(FollowUpRule.state, FollowUpRule.delay_days,
                                                                 FollowUpRule.id)))
