"""Handing cases over in bulk: all cases of an account before it is disabled, or all cases matching the pipeline's
filter. Both go through app.cases.services.reassign_in_bulk in batches (set-based: a timeline entry per case, the
read model's counts and the open reminders moved by the case_reassigned hooks), all in the request's one
transaction.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from app.auth import services as auth_services
from app.auth.models import User
from app.cases import readmodel
from app.cases import services as case_services
from app.cases.models import Case
from app.cases.vocab import State
from app.extensions import db
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
    if new_owner is None or new_owner.role != "scout" or not new_owner.active or new_owner == leaving:
        raise ReassignRefused(_l("Please choose an active process scout to take over the cases."))
    return new_owner


def reassign_all(ids: Select, new_owner: User, actor: User) -> int:
    """Reassign every case whose id the select yields, BATCH at a time in id order; returns how many moved."""
    moved, after = 0, 0
    while batch := list(db.session.scalars(ids.where(Case.id > after).order_by(None).order_by(Case.id).limit(BATCH))):
        moved += case_services.reassign_in_bulk(batch, new_owner, actor)
        after = batch[-1]
    return moved


def reassign_matching(filters: CaseFilter, owner_id: int | None, actor: User) -> int:
    """Every case matching the pipeline's filter (not only the page) goes to the chosen scout."""
    new_owner = take_over(owner_id)
    ids = case_query(filters).with_only_columns(Case.id)
    return reassign_all(ids, new_owner, actor)


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


def hand_over_and_disable(user: User, owner_id: int | None, actor: User) -> int:
    """Give all of the account's cases, its open reminders (also those on other people's cases) and its pending
    digests to an active scout, then disable the account; one transaction. Returns the cases moved."""
    if user.id == actor.id:
        raise ReassignRefused(_l("You cannot disable your own account."))
    new_owner = take_over(owner_id, leaving=user)
    moved = reassign_all(select(Case.id).where(Case.owner_id == user.id), new_owner, actor)
    db.session.execute(update(Reminder).where(Reminder.assignee_id == user.id, Reminder.state == "open")
                       .values(assignee_id=new_owner.id).execution_options(synchronize_session="fetch"))
    _move_digests(user, new_owner)
    auth_services.set_active(user, False, actor=actor)
    return moved
