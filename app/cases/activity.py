"""Each case's latest activity and whether it waits on the business, kept from its timeline.

Every timeline entry, however it is written (add_event, the state machine's own entries, the demo seeds
that backdate an entry before it is flushed), passes through one flush. After each flush this module
writes, per case, the newest entry's time into cases.last_activity_at (never backwards) and keeps
cases.awaiting_business_since: set by a self-check link sent (an entry) or a mail with answer links sent
(`start_waiting`, called by the dispatcher), cleared by the business's submission or answer or a completed
check. Both are plain UPDATEs on the case row: no version bump, so a note never makes a concurrent move fail.
The review queue reads them through ix_cases_state_activity and ix_cases_awaiting_business. `backfill()`
recomputes both from the timeline (migration, bulk seed; a mail with answer links is not on the timeline).
"""

from datetime import datetime

from sqlalchemy import bindparam, event, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.cases.models import Case, CaseEvent
from app.cases.vocab import EventKind

STARTS_WAITING = {EventKind.SELF_CHECK_SENT}
ENDS_WAITING = {EventKind.SELF_CHECK_SUBMITTED, EventKind.BUSINESS_ANSWERED, EventKind.CHECK_COMPLETED}

_cases = Case.__table__
_TIME = _cases.c.last_activity_at.type

_touch = (update(_cases)
          .where(_cases.c.id == bindparam("case_id"),
                 or_(_cases.c.last_activity_at.is_(None), _cases.c.last_activity_at < bindparam("at", type_=_TIME)))
          .values(last_activity_at=bindparam("at", type_=_TIME)))
_wait = (update(_cases).where(_cases.c.id == bindparam("case_id"))
         .values(awaiting_business_since=bindparam("since", type_=_TIME)))
_start = (update(_cases).where(_cases.c.id == bindparam("case_id"), _cases.c.awaiting_business_since.is_(None))
          .values(awaiting_business_since=bindparam("since", type_=_TIME)))


def start_waiting(connection, case_id: int, since: datetime) -> None:
    """A mail asking the business for an answer went out: the case waits on it from then, unless it waits already
    (a plain UPDATE on the caller's connection, like the columns' other writes)."""
    connection.execute(_start, {"case_id": case_id, "since": since})


def _changes(entries: list[CaseEvent]) -> tuple[dict[int, datetime], dict[int, datetime | None]]:
    """The newest entry per case, and the waiting state the entries leave behind (in timeline order)."""
    latest: dict[int, datetime] = {}
    waiting: dict[int, datetime | None] = {}
    for entry in sorted(entries, key=lambda e: (e.created_at, e.id or 0)):
        latest[entry.case_id] = entry.created_at
        if entry.kind in STARTS_WAITING:
            waiting[entry.case_id] = entry.created_at
        elif entry.kind in ENDS_WAITING:
            waiting[entry.case_id] = None
    return latest, waiting


def listen() -> None:
    """Keep the columns on every flush (cases.init_app calls it; Session events are per process, added once)."""
    if not event.contains(Session, "after_flush", _keep_activity):
        event.listen(Session, "after_flush", _keep_activity)


def _keep_activity(session: Session, _flush_context) -> None:
    entries = [obj for obj in session.new if isinstance(obj, CaseEvent) and obj.created_at is not None]
    if not entries:
        return
    latest, waiting = _changes(entries)
    connection = session.connection()
    connection.execute(_touch, [{"case_id": case_id, "at": at} for case_id, at in sorted(latest.items())])
    if waiting:
        connection.execute(_wait, [{"case_id": case_id, "since": since} for case_id, since in sorted(waiting.items())])
    for case_id, at in latest.items():  # loaded cases show the new values without a refresh (and stay clean)
        case = session.identity_map.get(identity_key(Case, case_id))
        if case is not None:
            if case.last_activity_at is None or case.last_activity_at < at:
                set_committed_value(case, "last_activity_at", at)
            if case_id in waiting:
                set_committed_value(case, "awaiting_business_since", waiting[case_id])


def backfill(connection) -> None:
    """Recompute both columns of every case from its timeline (three UPDATEs; the caller commits)."""
    events = CaseEvent.__table__
    of_case = events.c.case_id == _cases.c.id
    connection.execute(update(_cases).values(
        last_activity_at=select(func.max(events.c.created_at)).where(of_case).scalar_subquery()))
    connection.execute(update(_cases).values(awaiting_business_since=select(func.max(events.c.created_at)).where(
        of_case, events.c.kind.in_([str(k) for k in STARTS_WAITING])).scalar_subquery()))
    answered = exists().where(of_case, events.c.kind.in_([str(k) for k in ENDS_WAITING]),
                              events.c.created_at >= _cases.c.awaiting_business_since)
    connection.execute(update(_cases).where(_cases.c.awaiting_business_since.is_not(None), answered)
                       .values(awaiting_business_since=None))
