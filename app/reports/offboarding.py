"""Handing cases over in bulk: all cases of an account before it is disabled, or all cases matching the pipeline's
filter. Both go through app.cases.services.reassign_in_bulk in batches (set-based: a timeline entry per case, the
read model's counts and the open reminders moved by the case_reassigned hooks). Up to HANDOVER_INLINE_MAX cases
that happens in the request's one transaction; more are queued as a HandoverJob that the worker
(app.reports.handover_worker) moves a batch per commit, so no request outlives a proxy's timeout.
"""

from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from app.auth import services as auth_services
from app.auth.models import User
from app.cases import readmodel
from app.cases import services as case_services
from app.cases.models import Case
from app.cases.vocab import State
from app.extensions import db
from app.reports.handover_models import UNFINISHED_STATUSES, HandoverJob, JobStatus
from app.reports.services import CaseFilter, ReassignRefused, case_query
from app.scheduling import outbox
from app.scheduling.digest import TEMPLATE as DIGEST
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import today_berlin

DIGEST_DAYS = 7  # a digest not sent within a week is not looked for
BATCH = 500  # cases loaded and reassigned at a time: memory stays flat however many match


def owned_cases(user: User) -> int:
    """All cases the account owns (the read model's sum, no count over cases)."""
    return readmodel.total(owner_id=user.id)


def open_cases(user: User) -> int:
    return sum(n for state, n in readmodel.per_state(owner_id=user.id).items() if state != State.WITHDRAWN)


def take_over(owner_id: int | None, leaving: User | None = None) -> User:
    """The active scout who takes the cases over, or ReassignRefused."""
    new_owner = db.session.get(User, owner_id) if owner_id else None
    if new_owner is None or new_owner.role != "scout" or not new_owner.takes_work or new_owner == leaving:
        raise ReassignRefused(_l("Please choose an active process scout to take over the cases."))
    return new_owner


def next_batch(ids: Select, after: int) -> list[int]:
    """The next BATCH case ids of the select after `after`, in id order (the primary key's index)."""
    return list(db.session.scalars(ids.where(Case.id > after).order_by(None).order_by(Case.id).limit(BATCH)))


def matching_ids(filters: CaseFilter) -> Select:
    return case_query(filters).with_only_columns(Case.id)


def reassign_all(ids: Select, new_owner: User, actor: User) -> int:
    """Reassign every case whose id the select yields, BATCH at a time in id order; returns how many moved."""
    moved, after = 0, 0
    while batch := next_batch(ids, after):
        moved += case_services.reassign_in_bulk(batch, new_owner, actor)
        after = batch[-1]
    return moved


def _move_digests(user: User, new_owner: User) -> None:
    """The leaving account's digests of the last days not sent yet go to the new owner (who then gets the moved
    reminders); where the new owner has that day's digest already, the old one is only cancelled. Found by
    their unique keys ("digest:<user>:<date>"), on the unique index."""
    today = today_berlin()
    keys = [f"{DIGEST}:{user.id}:{(today - timedelta(days=back)).isoformat()}" for back in range(DIGEST_DAYS)]
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.unique_key.in_(keys),
                                                             OutboxMessage.status == "pending"))
    for row in list(pending):
        day = row.context["date"]
        outbox.cancel(row, f"handed over to {new_owner.email}")
        outbox.queue(recipient=new_owner.email, audience="staff", template_key=DIGEST, due_at=row.due_at,
                     unique_key=f"{DIGEST}:{new_owner.id}:{day}", context={"user_id": new_owner.id, "date": day})


def close_account(user: User, new_owner: User, actor: User) -> None:
    """Once its cases are handed over: the account's open reminders (also those on other people's cases) and its
    pending digests go to the new owner, and the account is disabled (and no longer marked as leaving)."""
    db.session.execute(update(Reminder).where(Reminder.assignee_id == user.id, Reminder.state == "open")
                       .values(assignee_id=new_owner.id).execution_options(synchronize_session="fetch"))
    _move_digests(user, new_owner)
    auth_services.set_active(user, False, actor=actor)
    auth_services.set_leaving(user.id, False)


class Started(NamedTuple):
    """A hand-over done in the request (`moved` cases), or queued for the worker (`job`)."""

    moved: int
    job: HandoverJob | None = None


def start_offboarding(user: User, owner_id: int | None, actor: User) -> Started:
    """All of the account's cases to an active scout, then the account disabled (close_account)."""
    if user.id == actor.id:
        raise ReassignRefused(_l("You cannot disable your own account."))
    new_owner = take_over(owner_id, leaving=user)
    return _start(CaseFilter(owner_id=user.id), new_owner, actor, owned_cases(user), offboarding=user)


def start_matching(filters: CaseFilter, owner_id: int | None, actor: User) -> Started:
    """Every case matching the pipeline's filter (not only the page) to the chosen scout."""
    new_owner = take_over(owner_id)
    total = readmodel.total(owner_id=filters.owner_id, state=filters.state, municipality_id=filters.municipality_id)
    return _start(filters, new_owner, actor, total)


def _start(filters: CaseFilter, new_owner: User, actor: User, total: int, offboarding: User | None = None) -> Started:
    """Up to HANDOVER_INLINE_MAX cases in this transaction; more are queued for app.reports.handover_worker.
    Refused while a hand-over of the same owner's cases is unfinished (the partial unique index decides a race)."""
    if filters.owner_id is not None and running_for(filters.owner_id) is not None:
        raise _already_running(filters.owner_id)
    if total <= current_app.config["HANDOVER_INLINE_MAX"]:
        moved = reassign_all(matching_ids(filters), new_owner, actor)
        if offboarding is not None:
            close_account(offboarding, new_owner, actor)
        return Started(moved)
    job = HandoverJob(created_by_id=actor.id, from_owner_id=filters.owner_id, state=filters.state,
                      municipality_id=filters.municipality_id, to_owner_id=new_owner.id,
                      disables_owner=offboarding is not None, total=total, status=JobStatus.QUEUED)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError as error:
        raise _already_running(filters.owner_id) from error
    if offboarding is not None:  # committed with the job: from now on the account gets no new work
        auth_services.set_leaving(offboarding.id, True)
    return Started(0, job)


def running_for(owner_id: int) -> HandoverJob | None:
    """The unfinished hand-over of the owner's cases (on the partial unique index)."""
    return db.session.scalar(select(HandoverJob).where(HandoverJob.from_owner_id == owner_id,
                                                       HandoverJob.status.in_(UNFINISHED_STATUSES)))


def _already_running(owner_id: int) -> ReassignRefused:
    name = db.session.get(User, owner_id).name
    return ReassignRefused(_l("The cases of %(name)s are being handed over already; please wait until that is done.",
                              name=name))
