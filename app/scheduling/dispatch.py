"""One dispatcher pass: recover expired leases, claim due mails, send them over one connection.

Each result is committed on its own, so a crash loses at most the mail in flight. The pass holds its
rows under a lease token: it renews the lease of what it has left when half of it has passed, sends
only rows it still holds, and records results only where the token still matches, so a second
dispatcher that recovered a row whose lease ran out never sends it twice with this one. Just before each send
it reads the row's status again, so a mail cancelled after the claim (a withdrawn referral) is skipped.
"""

import logging
import time
from dataclasses import dataclass, field

from flask import current_app

from app.cases.models import Case
from app.cases.services import add_event
from app.extensions import db
from app.scheduling import mails, outbox
from app.scheduling.consent import refusal
from app.scheduling.models import OutboxMessage
from app.scheduling.transport import PermanentFailure, TemporaryFailure, open_transport

log = logging.getLogger(__name__)


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    lost: int = 0  # rows whose lease ran out during the pass: another dispatcher has them now

    def __str__(self) -> str:
        text = f"sent {self.sent}, failed {self.failed}, retried {self.retried}, cancelled {self.cancelled}"
        return text + (f", lost {self.lost}" if self.lost else "")


@dataclass
class Lease:
    """This pass's hold on its claimed rows: the token, and when to renew it (half the lease)."""

    token: str
    seconds: int
    renew_at: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.renew_at = time.monotonic() + self.seconds / 2

    def keep(self, results, rows: list[OutboxMessage], stats: Stats) -> list[OutboxMessage]:
        """The rows still held; renews their lease once half of it has passed."""
        if time.monotonic() < self.renew_at:
            return rows
        held = outbox.renew(results, [row.id for row in rows], self.token, self.seconds)
        self.renew_at = time.monotonic() + self.seconds / 2
        stats.lost += len(rows) - len(held)
        return [row for row in rows if row.id in held]


def dispatch_once() -> Stats:
    app = current_app._get_current_object()
    stats = Stats()
    outbox.recover_expired_leases()
    lease = Lease(outbox.new_token(), app.config["OUTBOX_LEASE_SECONDS"])
    ids = outbox.claim(app.config["OUTBOX_BATCH_SIZE"], lease.seconds, token=lease.token)
    if not ids:
        return stats
    # One commit per mail, but no reload of the whole batch after each: expiring every claimed row on every
    # commit made a pass quadratic in the batch size. The rows are leased to this pass; nobody else writes them.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        _send_batch(app, ids, lease, stats)
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
    return stats


def _send_batch(app, ids: list[int], lease: Lease, stats: Stats) -> None:
    rows = _prepare(db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.due_at, OutboxMessage.id)
        .execution_options(populate_existing=True)  # as claimed, even if this session had them loaded
    ).all(), lease.token, stats)
    pending = list(rows)
    try:
        with db.engine.connect() as results, open_transport(app) as transport:
            while pending := lease.keep(results, pending, stats):
                row = pending.pop(0)
                _send_one(transport, row, lease.token, stats, results)
    except (TemporaryFailure, PermanentFailure) as error:
        # No usable connection (refused, timed out, login refused): everything claimed waits for the next
        # tick; a permanent failure here is the server's or the configuration's, not one mail's.
        for row in pending:
            _retry(row, lease.token, str(error), stats)
        log.warning("mail server unavailable: %s", error)


def _prepare(rows: list[OutboxMessage], token: str, stats: Stats) -> list[OutboxMessage]:
    """Check consent again (it may have been withdrawn since queueing) and render what is not yet rendered."""
    ready, broken = [], []
    for row in rows:
        case = db.session.get(Case, row.case_id) if row.case_id else None
        problem = refusal(case.business) if case is not None and row.audience == "business" else None
        if problem:
            outbox.cancel(row, problem)
            add_event(case, "email_cancelled", None, problem, template=row.template_key, outbox_id=row.id)
            stats.cancelled += 1
            continue
        if not row.body_text:
            try:
                mails.render(row)
            except Exception as error:  # a broken template must not hold up the rest of the batch
                log.exception("outbox row %s: rendering %r failed", row.id, row.template_key)
                broken.append((row, f"rendering failed: {type(error).__name__}: {error}"))
                continue
        ready.append(row)
    db.session.commit()  # the rendered text (with its links) is fixed before the first attempt
    for row, error in broken:  # back-off, then given up like any temporary failure
        _retry(row, token, error, stats)
    return ready


def _send_one(transport, row: OutboxMessage, token: str, stats: Stats, results) -> None:
    """Send one row and commit its result; a sent mark goes over `results`, the pass's own connection."""
    try:
        try:
            message = mails.build(row)
        except Exception as error:  # e.g. a line break in a header: this row can never be sent
            raise PermanentFailure(f"cannot build the message: {type(error).__name__}: {error}") from error
        if row.audience in outbox.CANCELLED_WHILE_CLAIMED:
            # Still wanted? (a referral withdrawn since the claim.) On PostgreSQL this locks the row until
            # record_sent commits on `results`, so a cancel waits for the send instead of coming too late. Only
            # these mails can be cancelled after their claim, so only they pay for the extra round trip.
            held = outbox.hold_for_send(results, row, token)
            if held != "held":
                results.commit()  # ends the read (it wrote nothing) and frees the row
                if held == "cancelled":
                    stats.cancelled += 1
                else:
                    stats.lost += 1
                return
        try:
            transport.send(message)
        except BaseException:
            results.commit()  # frees a held row (nothing written) before its failure is recorded through the session
            raise
    except PermanentFailure as error:
        if outbox.mark_failed(row, token, str(error)):
            _failed_on_case(row)
            stats.failed += 1
        else:
            stats.lost += 1
    except TemporaryFailure as error:
        _retry(row, token, str(error), stats)
        if error.connection_lost:
            raise  # the rest of the batch waits for the next tick
    else:
        if outbox.record_sent(results, row, token):
            stats.sent += 1
        else:  # sent after the lease ran out: the mail went out, but the row is another dispatcher's now
            log.error("outbox row %s was sent after its lease ran out", row.id)
            stats.lost += 1
        return
    db.session.commit()


def _retry(row: OutboxMessage, token: str, error: str, stats: Stats) -> None:
    outcome = outbox.mark_retry(row, token, error)
    if outcome:
        stats.retried += 1
    elif outcome is None:
        stats.lost += 1
    else:  # gave up: a failure like a permanent one, shown on the case
        _failed_on_case(row)
        stats.failed += 1
    db.session.commit()


def _failed_on_case(row: OutboxMessage) -> None:
    if row.case_id:
        add_event(db.session.get(Case, row.case_id), "email_failed", None, row.last_error,
                  template=row.template_key, outbox_id=row.id)
