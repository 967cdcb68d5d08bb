"""One dispatcher pass: recover expired leases, claim due mails, send them over one connection.

Each result is committed on its own, so a crash loses at most the mail in flight.
"""

import logging
from dataclasses import dataclass

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

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, retried {self.retried}, cancelled {self.cancelled}"


def dispatch_once() -> Stats:
    app = current_app._get_current_object()
    stats = Stats()
    outbox.recover_expired_leases()
    ids = outbox.claim(app.config["OUTBOX_BATCH_SIZE"], app.config["OUTBOX_LEASE_SECONDS"])
    if not ids:
        return stats
    # One commit per mail, but no reload of the whole batch after each: expiring every claimed row on every
    # commit made a pass quadratic in the batch size. The rows are leased to this pass; nobody else writes them.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        _send_batch(app, ids, stats)
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
    return stats


def _send_batch(app, ids: list[int], stats: Stats) -> None:
    rows = _prepare(db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.due_at, OutboxMessage.id)
        .execution_options(populate_existing=True)  # as claimed, even if this session had them loaded
    ).all(), stats)
    pending = list(rows)
    try:
        with db.engine.connect() as results, open_transport(app) as transport:
            while pending:
                row = pending.pop(0)
                _send_one(transport, row, stats, results)
    except (TemporaryFailure, PermanentFailure) as error:
        # No usable connection (refused, timed out, login refused): everything claimed waits for the next
        # tick; a permanent failure here is the server's or the configuration's, not one mail's.
        for row in pending:
            _retry(row, str(error), stats)
        log.warning("mail server unavailable: %s", error)


def _prepare(rows: list[OutboxMessage], stats: Stats) -> list[OutboxMessage]:
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
        _retry(row, error, stats)
    return ready


def _send_one(transport, row: OutboxMessage, stats: Stats, results) -> None:
    """Send one row and commit its result; a sent mark goes over `results`, the pass's own connection."""
    try:
        try:
            message = mails.build(row)
        except Exception as error:  # e.g. a line break in a header: this row can never be sent
            raise PermanentFailure(f"cannot build the message: {type(error).__name__}: {error}") from error
        transport.send(message)
    except PermanentFailure as error:
        outbox.mark_failed(row, str(error))
        _failed_on_case(row)
        stats.failed += 1
    except TemporaryFailure as error:
        _retry(row, str(error), stats)
        if error.connection_lost:
            raise  # the rest of the batch waits for the next tick
    else:
        outbox.record_sent(results, row)
        stats.sent += 1
        return
    db.session.commit()


def _retry(row: OutboxMessage, error: str, stats: Stats) -> None:
    if outbox.mark_retry(row, error):
        stats.retried += 1
    else:  # gave up: a failure like a permanent one, shown on the case
        _failed_on_case(row)
        stats.failed += 1
    db.session.commit()


def _failed_on_case(row: OutboxMessage) -> None:
    if row.case_id:
        add_event(db.session.get(Case, row.case_id), "email_failed", None, row.last_error,
                  template=row.template_key, outbox_id=row.id)
