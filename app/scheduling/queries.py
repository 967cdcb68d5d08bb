"""Read-side queries for the follow-up pages: joins and aggregates, never a query per row."""

from datetime import datetime

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, func, select

from app.cases.models import Business, Case
from app.extensions import db
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.scheduling.reminders import end_of_day

CLOSED_SHOWN = 50  # done and cancelled reminders on a case page, newest first
FAILED_SHOWN = 20


class RowPagination(SelectPagination):
    """db.paginate for a select of several columns: the items are rows, not the first column's scalars."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).all())


def paginate_rows(query: Select, page: int, per_page: int) -> RowPagination:
    return RowPagination(select=query, session=db.session, page=page, per_page=per_page, error_out=False)


def due_for(user_id: int, page: int, per_page: int, now: datetime | None = None) -> RowPagination:
    """The user's open reminders due today or overdue (Berlin), oldest first, with the business's name."""
    query = (select(Reminder, Business.name.label("business_name"))
             .join(Case, Case.id == Reminder.case_id).join(Business, Business.id == Case.business_id)
             .where(Reminder.assignee_id == user_id, Reminder.state == "open", Reminder.due_at < end_of_day(now))
             .order_by(Reminder.due_at, Reminder.id))
    return paginate_rows(query, page, per_page)


def due_count(user_id: int, now: datetime | None = None) -> int:
    """How many of the user's reminders are due today or overdue (the badge in the navigation)."""
    return db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.assignee_id == user_id, Reminder.state == "open", Reminder.due_at < end_of_day(now)))


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


def outbox_page(status: str | None, page: int, per_page: int) -> RowPagination:
    """Outbox rows, newest due first, with the business of the case (mails to staff have none)."""
    query = (select(OutboxMessage, Business.name.label("business_name"), Business.email_consent,
                    Business.unsubscribed_at)
             .outerjoin(Case, Case.id == OutboxMessage.case_id).outerjoin(Business, Business.id == Case.business_id)
             .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc()))
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate_rows(query, page, per_page)


def outbox_counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def all_rules() -> list[FollowUpRule]:
    return list(db.session.scalars(select(FollowUpRule).order_by(FollowUpRule.state, FollowUpRule.delay_days,
                                                                 FollowUpRule.id)))
