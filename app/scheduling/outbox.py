"""The outbox: queue a mail once, claim due rows atomically, record each result.

Claiming works across processes: PostgreSQL skips rows another worker has locked
(FOR UPDATE SKIP LOCKED); SQLite takes the write lock first (BEGIN IMMEDIATE) and claims with
one guarded UPDATE … RETURNING. A claimed row is leased under a token of its own; the dispatcher
renews the lease of what it still holds while a batch runs and records every result only where the
token still matches (fencing). When a lease runs out (the process died, or stalled longer than the
lease) the row goes back to pending, and the old holder can neither send it again nor record anything.
"""

import secrets
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.cases import activity
from app.cases.models import Case
from app.extensions import db
from app.scheduling.models import OutboxMessage, OutboxStatus
from app.timeutil import utcnow

AWAITS_ANSWER = {"how_is_it_going"}  # mails whose one-click answers the review queue waits for


def _msgid() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "procheck.invalid"
    return make_msgid(idstring="procheck", domain=domain)


def queue(*, recipient: str, audience: str, template_key: str, due_at: datetime, unique_key: str,
          case_id: int | None = None, rule_id: int | None = None, source_state: str | None = None,
          context: dict | None = None) -> OutboxMessage | None:
    """Add a mail to the outbox unless its key exists; a cancelled, never-sent one is scheduled again.

    Returns the row, or None when the mail was already scheduled or sent.
    """
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.unique_key == unique_key))
    if row is not None:
        if row.status != "cancelled" or row.sent_at is not None:
            return None
        row.attempts, row.last_error, row.first_attempt_at = 0, "", None
    else:
        row = OutboxMessage(unique_key=unique_key, message_id=_msgid(), template_key=template_key, context={})
        db.session.add(row)
    row.recipient, row.audience, row.due_at = recipient, audience, due_at
    row.case_id, row.rule_id, row.source_state = case_id, rule_id, source_state
    row.context = dict(context or {})
    row.status, row.last_error = "pending", ""
    return row


def cancel(row: OutboxMessage, reason: str) -> None:
    row.status, row.last_error, row.lease_until = "cancelled", reason, None


UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# Audiences whose mails cancel_unsent may cancel after the dispatcher claimed them (a withdrawn referral's partner
# mail); the dispatcher re-reads only these just before sending.
CANCELLED_WHILE_CLAIMED = ("partner",)


def cancel_unsent(ids: list[int], reason: str) -> int:
    """Cancel these mails unless they went out meanwhile, a claimed partner mail too: one guarded UPDATE.

    The dispatcher reads the status again just before it sends (hold_for_send) and skips a cancelled mail. On
    PostgreSQL it holds the row's lock from that read until the send is recorded, so a cancel coming during the
    send waits for it, then finds the mail sent and leaves it so (the guard is evaluated again after the wait)."""
    if not ids:
        return 0
    claimed_but_rechecked = and_(OutboxMessage.status == OutboxStatus.SENDING,
                                 OutboxMessage.audience.in_(CANCELLED_WHILE_CLAIMED))
    return db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                    or_(OutboxMessage.status == OutboxStatus.PENDING, claimed_but_rechecked))
        # The token stays on a claimed row: should the mail go out after all (SQLite, below), record_sent knows it.
        .values(status=OutboxStatus.CANCELLED, last_error=reason, lease_until=None)
        .execution_options(synchronize_session=False)).rowcount


def cancel_pending_for_state(case: Case, state: str, reason: str) -> int:
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id == case.id, OutboxMessage.source_state == state, OutboxMessage.status == "pending"))
    count = 0
    for row in rows:
        cancel(row, reason)
        count += 1
    return count


def new_token() -> str:
    return secrets.token_hex(16)


def claim(limit: int, lease_seconds: int, now: datetime | None = None, token: str | None = None) -> list[int]:
    """Mark up to `limit` due rows as sending, leased under `token`, and return their ids; commits at once."""
    now = now or utcnow()
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
           .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit))
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # A materialized CTE locks once. Inside IN (…) PostgreSQL may re-run the locking subquery for
            # each row, skip the rows this statement has just updated and so claim more than `limit`.
            locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
            due = select(locked.c.id)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # take SQLite's write lock before reading
        claimed = conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == "pending")
            .values(status="sending", lease_until=now + timedelta(seconds=lease_seconds),
                    lease_token=token or new_token(), attempts=OutboxMessage.attempts + 1,
                    first_attempt_at=func.coalesce(OutboxMessage.first_attempt_at, now))
            .returning(OutboxMessage.id)
        ).scalars().all()
        conn.commit()
    return sorted(claimed)


def recover_expired_leases(now: datetime | None = None) -> int:
    """Put rows whose sender died mid-send back to pending."""
    with db.engine.begin() as conn:
        result = conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.lease_until < (now or utcnow()))
            .values(status="pending", lease_until=None, lease_token=None)
        )
    return result.rowcount


def renew(conn: Connection, ids: list[int], token: str, lease_seconds: int) -> set[int]:
    """Extend the lease of the rows still held with `token`; returns their ids (the others were lost)."""
    if not ids:
        return set()
    held = conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending", OutboxMessage.lease_token == token)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        .returning(OutboxMessage.id)).scalars().all()
    conn.commit()
    return set(held)


def _fenced(row: OutboxMessage, token: str):
    return update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.status == "sending",
                                       OutboxMessage.lease_token == token)


def _apply(row: OutboxMessage, values: dict) -> None:
    for key, value in values.items():
        set_committed_value(row, key, value)


def hold_for_send(conn: Connection, row: OutboxMessage, token: str) -> str:
    """Just before sending: "held" while this pass still holds the row, "cancelled" when it was cancelled since
    the claim (skip it), "lost" when another dispatcher has it now.

    Read in a transaction on `conn` that record_sent ends (or the caller commits): on PostgreSQL the row stays
    locked (FOR UPDATE) until the send is recorded, so no cancel slips in between this read and the send. SQLite
    has no row lock to take; its read only narrows that gap to the moment before the send.
    """
    status, holder = conn.execute(select(OutboxMessage.status, OutboxMessage.lease_token)
                                  .where(OutboxMessage.id == row.id).with_for_update()).one()
    if status == OutboxStatus.CANCELLED:
        set_committed_value(row, "status", status)
        return "cancelled"
    return "held" if status == OutboxStatus.SENDING and holder == token else "lost"


def record_sent(conn: Connection, row: OutboxMessage, token: str) -> bool:
    """Mark the row sent in one UPDATE, committed at once on the dispatcher's own connection (its hot path: no
    session flush, no pool checkout and pre-ping per mail); False when the lease was lost meanwhile.

    A row cancelled while this pass held it (cancel_unsent keeps the token) is marked sent too: on SQLite a cancel
    can slip in between hold_for_send and the send, and the mail did go out."""
    values = {"status": "sent", "sent_at": utcnow(), "lease_until": None, "lease_token": None, "last_error": ""}
    ours = update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.lease_token == token,
                                       OutboxMessage.status.in_((OutboxStatus.SENDING, OutboxStatus.CANCELLED)))
    done = conn.execute(ours.values(**values)).rowcount == 1
    if done and row.case_id and row.template_key in AWAITS_ANSWER:
        activity.start_waiting(conn, row.case_id, values["sent_at"])
    conn.commit()
    if done:
        _apply(row, values)
    return done


def mark_failed(row: OutboxMessage, token: str, error: str) -> bool:
    """Fail the row for good (flushed in the session); False when the lease was lost meanwhile."""
    values = {"status": "failed", "lease_until": None, "lease_token": None, "last_error": error[:2000]}
    done = db.session.execute(_fenced(row, token).values(**values)
                              .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        _apply(row, values)
    return done


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def mark_retry(row: OutboxMessage, token: str, error: str) -> bool | None:
    """Try again later: True; False once the give-up time has passed (the row failed); None when the lease
    was lost meanwhile (another dispatcher has the row now)."""
    now = utcnow()
    give_up = (row.first_attempt_at or now) + timedelta(hours=current_app.config["OUTBOX_GIVE_UP_HOURS"])
    if now >= give_up:
        return False if mark_failed(row, token, f"gave up after {row.attempts} attempts: {error}") else None
    values = {"status": "pending", "lease_until": None, "lease_token": None, "last_error": error[:2000],
              "due_at": now + backoff(row.attempts)}
    done = db.session.execute(_fenced(row, token).values(**values)
                              .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        _apply(row, values)
        return True
    return None
