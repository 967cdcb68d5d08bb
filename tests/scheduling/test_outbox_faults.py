"""Fault tests of the outbox against a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL.

Each test asserts the rows in the database and the mails the server received. "Time passes" by
moving due times (and leases) into the past, which is what the dispatcher compares with now.
"""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update

from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling import outbox, runner
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.mailserver import MailServer, free_port
from tests.outbox_worker import consenting_case, queue_mail

pytestmark = pytest.mark.postgres  # claims, leases and back-off times in the database


def rows() -> dict[int, OutboxMessage]:
    db.session.expire_all()
    return {row.id: row for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def time_passes(by: timedelta = timedelta(hours=2)) -> None:
    """Everything waiting (back-off, leases) becomes due, as if `by` had passed."""
    for row in rows().values():
        if row.status == "pending":
            row.due_at -= by
        elif row.status == "sending":
            row.lease_until -= by
    db.session.commit()


def received_ids(server: MailServer) -> Counter:
    return Counter(m["Message-ID"] for m in server.messages)


@pytest.fixture
def mail_port(app):
    """A port with no SMTP server behind it (yet): connections are refused."""
    port = free_port()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME="", MAIL_TIMEOUT_SECONDS=5)
    return port


def test_smtp_down_for_a_while_then_back_delivers_everything_once(app, users, mail_port):
    case = consenting_case(users["scout"])
    queued = [queue_mail("info@brinkmann.example.org", case=case)] + [queue_mail(f"s{i}@example.org") for i in range(4)]
    db.session.commit()

    first = dispatch_once()  # the server is down

    assert (first.sent, first.retried, first.failed) == (0, 5, 0)
    waiting = rows()
    assert {(r.status, r.attempts) for r in waiting.values()} == {("pending", 1)}
    assert all("ConnectionRefused" in r.last_error for r in waiting.values())
    assert all(r.due_at > utcnow() + timedelta(seconds=30) for r in waiting.values())  # back-off
    assert str(dispatch_once()) == "sent 0, failed 0, retried 0, cancelled 0"  # not due again yet

    time_passes(timedelta(minutes=1, seconds=30))
    second = dispatch_once()  # still down: the back-off grows
    assert second.retried == 5
    assert {r.attempts for r in rows().values()} == {2}
    assert all(r.due_at > utcnow() + timedelta(seconds=90) for r in rows().values())

    server = MailServer(port=mail_port).start()  # back, on the same port
    try:
        time_passes()
        assert dispatch_once().sent == 5
        assert dispatch_once().sent == 0
        time_passes()
        assert dispatch_once().sent == 0
    finally:
        server.stop()

    assert received_ids(server) == Counter({row.message_id: 1 for row in queued})
    assert {(r.status, r.attempts, r.lease_until) for r in rows().values()} == {("sent", 3, None)}


def test_a_5xx_fails_with_its_reason_on_the_case_and_is_not_retried(app, users, smtp_server):
    smtp_server.handler.reject["info@brinkmann.example.org"] = "550 5.1.1 User unknown"
    case = consenting_case(users["scout"])
    rejected = queue_mail("info@brinkmann.example.org", case=case)
    fine = queue_mail("scout1@example.org")
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.failed, stats.retried) == (1, 1, 0)
    failed = rows()[rejected.id]
    assert (failed.status, failed.attempts, failed.lease_until) == ("failed", 1, None)
    assert "550" in failed.last_error and "User unknown" in failed.last_error
    entries = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                         CaseEvent.kind == "email_failed")).all()
    assert [(e.text, e.data["outbox_id"]) for e in entries] == [(failed.last_error, failed.id)]

    del smtp_server.handler.reject["info@brinkmann.example.org"]
    time_passes(timedelta(days=3))
    assert str(dispatch_once()) == "sent 0, failed 0, retried 0, cancelled 0"  # never again
    assert rows()[rejected.id].attempts == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [fine.message_id]


def test_a_4xx_is_retried_later_and_then_delivered(app, users, smtp_server):
    smtp_server.handler.reject["info@brinkmann.example.org"] = "451 4.7.1 Try again later"
    case = consenting_case(users["scout"])
    greylisted = queue_mail("info@brinkmann.example.org", case=case)
    fine = queue_mail("scout1@example.org")
    db.session.commit()
    before = utcnow()

    stats = dispatch_once()

    assert (stats.sent, stats.failed, stats.retried) == (1, 0, 1)
    waiting = rows()[greylisted.id]
    assert (waiting.status, waiting.attempts, waiting.lease_until) == ("pending", 1, None)
    assert "451" in waiting.last_error and "Try again later" in waiting.last_error
    assert waiting.due_at >= before + timedelta(minutes=1)
    assert dispatch_once().retried == 0  # not before its due time

    del smtp_server.handler.reject["info@brinkmann.example.org"]
    time_passes()
    assert dispatch_once().sent == 1

    done = rows()[greylisted.id]
    assert (done.status, done.attempts, done.last_error) == ("sent", 2, "")
    assert received_ids(smtp_server) == Counter({greylisted.message_id: 1, fine.message_id: 1})


@pytest.mark.parametrize("fault", ["4xx", "server down"])
def test_temporary_failures_give_up_after_the_configured_hours(app, users, smtp_server, fault):
    app.config["OUTBOX_GIVE_UP_HOURS"] = 48
    if fault == "4xx":
        smtp_server.handler.reject["info@brinkmann.example.org"] = "451 4.7.1 Try again later"
    else:
        smtp_server.stop()
    case = consenting_case(users["scout"])
    row = queue_mail("info@brinkmann.example.org", case=case)
    db.session.commit()
    assert dispatch_once().retried == 1

    # Two days later it is still not delivered: the next attempt gives up.
    db.session.execute(update(OutboxMessage).values(first_attempt_at=utcnow() - timedelta(hours=48, minutes=1),
                                                    due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    stats = dispatch_once()

    assert (stats.failed, stats.retried) == (1, 0)
    failed = rows()[row.id]
    assert failed.status == "failed" and failed.last_error.startswith("gave up after 2 attempts")
    assert len(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.kind == "email_failed")).all()) == 1
    time_passes(timedelta(days=3))
    assert dispatch_once().failed == 0
    assert smtp_server.messages == []


def test_a_421_mid_batch_leaves_the_rest_for_the_next_tick(app, users, smtp_server):
    """The server closes the connection: the rest of the batch is not tried on the dead connection."""
    smtp_server.handler.reject["b@example.org"] = "421 4.3.2 Service shutting down"
    queued = [queue_mail(f"{name}@example.org") for name in "abcd"]
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.retried) == (1, 3)
    after = rows()
    assert [after[r.id].status for r in queued] == ["sent", "pending", "pending", "pending"]
    assert "421" in after[queued[1].id].last_error
    assert all("421" in after[r.id].last_error for r in queued[2:])

    del smtp_server.handler.reject["b@example.org"]
    time_passes()
    assert dispatch_once().sent == 3
    assert received_ids(smtp_server) == Counter({r.message_id: 1 for r in queued})


def test_process_down_across_a_due_time_sends_at_the_first_tick(app, users, smtp_server):
    """The real APScheduler with the app's job defaults: a tick that comes late still runs, once."""
    assert runner.JOB_DEFAULTS["coalesce"] is True
    assert runner.JOB_DEFAULTS["misfire_grace_time"] >= 60 * 5
    case = consenting_case(users["scout"])
    row = queue_mail("info@brinkmann.example.org", case=case, due_at=utcnow() - timedelta(hours=3))  # while down
    db.session.commit()

    scheduler = runner.configure(BackgroundScheduler(job_defaults=runner.JOB_DEFAULTS, timezone="Europe/Berlin"),
                                 app)
    done, runs, missed = threading.Event(), [], []

    def listen(event) -> None:
        if event.job_id == "dispatch":
            (missed if event.code == EVENT_JOB_MISSED else runs).append(event)
            done.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    try:
        # The first tick is 30 s late (APScheduler's own default grace of 1 s would drop it), and the
        # tick before it was missed too: coalesce runs them as one.
        scheduler.modify_job("dispatch", next_run_time=datetime.now(UTC) - timedelta(seconds=90))
        scheduler.resume()
        assert done.wait(20), "the dispatch job did not run"
        sent_by_job = rows()[row.id]
    finally:
        scheduler.shutdown(wait=True)

    assert missed == [] and len(runs) == 1 and runs[0].exception is None
    assert (sent_by_job.status, sent_by_job.attempts) == ("sent", 1)
    assert received_ids(smtp_server) == Counter({row.message_id: 1})
    assert outbox.claim(10, 60) == []


def test_a_mail_that_cannot_be_rendered_or_built_does_not_hold_up_the_batch(app, users, smtp_server):
    unrenderable = queue_mail("a@example.org")
    unrenderable.template_key, unrenderable.body_text = "no_such_template", ""  # rendered at send time
    unbuildable = queue_mail("b@example.org", subject="Zeile 1\nBcc: alle@example.org")  # header injection
    fine = queue_mail("c@example.org")
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.failed, stats.retried) == (1, 1, 1)
    after = rows()
    assert after[unrenderable.id].status == "pending"  # back-off: a fixed template sends it later
    assert after[unrenderable.id].last_error.startswith("rendering failed: TemplateNotFound")
    assert after[unrenderable.id].due_at > utcnow()
    assert after[unbuildable.id].status == "failed"
    assert after[unbuildable.id].last_error.startswith("cannot build the message")
    assert [m["Message-ID"] for m in smtp_server.messages] == [fine.message_id]
    assert outbox.claim(10, 60) == []  # nothing left in "sending"


def test_a_refused_login_keeps_the_batch_for_later(app, users):
    """An authentication error is the configuration's, not one mail's: retried with back-off, not failed."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    server = MailServer()
    controller = Controller(server.handler, hostname="127.0.0.1", port=server.port, auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=False, handled=False))
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME="procheck", MAIL_PASSWORD="falsch", MAIL_TIMEOUT_SECONDS=5)
    try:
        queued = [queue_mail(f"{name}@example.org") for name in "ab"]
        db.session.commit()
        stats = dispatch_once()
    finally:
        controller.stop()

    assert (stats.sent, stats.failed, stats.retried) == (0, 0, 2)
    after = rows()
    assert {(after[r.id].status, after[r.id].attempts) for r in queued} == {("pending", 1)}
    assert all(after[r.id].last_error.startswith("535") for r in queued)
    assert server.messages == []
