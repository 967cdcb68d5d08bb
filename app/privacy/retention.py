"""The retention rule: RETENTION_MONTHS after the programme ends (PROGRAMME_END, or three years from
PROGRAMME_START) a business whose cases are all closed or withdrawn is anonymised, and so is a business without any
case (imported from the chamber's register and never contacted, or left over).

Both kinds are walked by id in batches (keyset, RETENTION_BATCH_SIZE), each batch erased in its own transaction
by the caller, so a million cases never load at once and an interrupted run resumes where it stopped (an erased
business is logged, marked and no longer due).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, exists, select, update

from app.cases.models import Business, Case
from app.cases.vocab import State
from app.counting import count_upto
from app.extensions import db
from app.privacy import erasure
from app.privacy.models import Action, PrivacyLog, log
from app.reports.period import PROGRAMME_YEARS, parse_date
from app.scheduling.models import OutboxMessage, OutboxStatus
from app.timeutil import today_berlin
from app.transactions import unit_of_work

LISTED = 50  # businesses the dry-run page names; the count says how many are due in all (up to a cap)
COUNT_CAP = 1000


def programme_end() -> date:
    config = current_app.config
    end = parse_date(config.get("PROGRAMME_END"))
    if end is not None:
        return end
    return add_months(parse_date(config["PROGRAMME_START"]), 12 * PROGRAMME_YEARS) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):  # the same day, or the month's last one
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def starts_on() -> date:
    """The first day on which the rule anonymises: programme end + RETENTION_MONTHS."""
    return add_months(programme_end(), current_app.config["RETENTION_MONTHS"])


def due(after_id: int = 0) -> Select:
    """Businesses due for anonymisation, by id: none of their cases open, not yet erased.

    The candidates come from the withdrawn cases (ix_cases_state): only the withdraw move closes a case
    (app.cases.workflow, closes=True), so a business whose cases are all closed has a withdrawn one, and the
    query reads the withdrawn cases instead of probing every business."""
    withdrawn = select(Case.business_id).where(Case.state == State.WITHDRAWN, Case.business_id > after_id)
    open_case = exists().where(Case.business_id == Business.id, Case.closed_at.is_(None),
                               Case.state != State.WITHDRAWN)
    erased = exists().where(PrivacyLog.business_id == Business.id, PrivacyLog.action == Action.ERASED)
    return select(Business.id, Business.name).where(Business.id.in_(withdrawn), ~open_case, ~erased).order_by(
        Business.id)


def caseless(after_id: int = 0) -> Select:
    """Businesses without any case, not yet anonymised, by id.

    Read along the primary key with one probe of ix_cases_business_id each (an anti join that stops at the
    LIMIT); the marker column, not the privacy log, says erased (a second probe per business saved)."""
    any_case = exists().where(Case.business_id == Business.id)
    return select(Business.id, Business.name).where(Business.id > after_id, Business.anonymised_at.is_(None),
                                                     ~any_case).order_by(Business.id)


Rule = Callable[[int], Select]  # due or caseless: the businesses after an id


@dataclass(frozen=True)
class Due:
    listed: list  # (id, name) of the first LISTED businesses
    count: int  # up to COUNT_CAP + 1


@dataclass(frozen=True)
class Preview:
    starts_on: date
    active: bool  # today is on or after starts_on
    closed: Due  # businesses whose cases are all closed or withdrawn
    caseless: Due  # businesses without any case


def _due(rule: Rule, listed: int, cap: int) -> Due:
    query = rule(0)
    return Due(db.session.execute(query.limit(listed)).all() if listed else [], count_upto(query, cap) if cap else 0)


def preview(today: date | None = None, listed: int = LISTED, cap: int = COUNT_CAP) -> Preview:
    today = today or today_berlin()
    return Preview(starts_on(), today >= starts_on(), _due(due, listed, cap), _due(caseless, listed, cap))


def walk(rule: Rule = due, size: int = 1000) -> Iterator:
    """Every business (id, name) the rule makes due, read in batches of ids (the CLI's dry run at any size)."""
    last = 0
    while rows := db.session.execute(rule(last).limit(size)).all():
        yield from rows
        last = rows[-1].id


def forget_sent_staff_mails() -> int:
    """The bulk run's rule for staff digests (they list many businesses): sent ones lose their text."""
    outbox = OutboxMessage.__table__
    done = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED)  # not the ones still to be sent
    result = db.session.execute(update(outbox).where(outbox.c.audience == "staff", outbox.c.status.in_(done),
                                                     outbox.c.body_text != "")
                                .values(body_text="", body_html=""))
    return result.rowcount


def erase_batch(after_id: int, size: int, rule: Rule = due) -> tuple[int, int]:
    """Erase the rule's next batch of due businesses; returns (how many, the last id looked at) - the same id
    when done."""
    ids = list(db.session.scalars(rule(after_id).with_only_columns(Business.id).limit(size)))
    if not ids:
        return 0, after_id
    # Lock them, then ask the rule again in a statement of its own: a case opened for one of them meanwhile (a
    # confirmed public request locks the business to open it) is committed by then, and that business stays.
    db.session.execute(select(Business.id).where(Business.id.in_(ids)).order_by(Business.id).with_for_update())
    due_still = list(db.session.scalars(rule(after_id).with_only_columns(Business.id).where(Business.id.in_(ids))))
    if due_still:
        erasure.erase(due_still, None, reason="retention", bulk=True)
    return len(due_still), ids[-1]


def _erase_all(rule: Rule, size: int) -> int:
    total, last = 0, 0
    while True:
        with unit_of_work():
            count, after = erase_batch(last, size, rule)
        if after == last:
            return total
        total, last = total + count, after


def run(today: date | None = None) -> int:
    """Apply the rule (when it has started): each batch in its own unit of work. Returns how many were erased."""
    if (today or today_berlin()) < starts_on():
        return 0
    size = current_app.config["RETENTION_BATCH_SIZE"]
    with unit_of_work():
        forget_sent_staff_mails()
    closed = _erase_all(due, size)
    without_case = _erase_all(caseless, size)
    with unit_of_work():
        log(Action.RETENTION_RUN, None, erased=closed + without_case, caseless=without_case)
    return closed + without_case
