"""The dispatcher against a real SMTP server on loopback: what arrives, what the rows say afterwards,
claiming and lease recovery, `flask procheck dispatch --once`, and the file backend."""

import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling import outbox
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.outbox_worker import consenting_case, queue_mail

pytestmark = pytest.mark.postgres  # claiming, lease recovery, the unique key


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def events(case, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


def test_due_mails_arrive_once_with_headers_and_both_bodies(app, users, smtp_server):
    case = consenting_case(users["scout"])
    business = queue_mail("info@brinkmann.example.org", case=case)
    staff = queue_mail("scout1@example.org", subject="Ihre Wiedervorlagen")
    later = queue_mail("scout1@example.org", due_at=utcnow() + timedelta(hours=1))
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.failed, stats.retried, stats.cancelled) == (2, 0, 0, 0)
    assert sorted(m["Message-ID"] for m in smtp_server.messages) == sorted([business.message_id, staff.message_id])
    received = smtp_server.handler.to("info@brinkmann.example.org")[0]
    assert received["Subject"] == "Ihre Ergebnisse"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received.get_body(("plain",)).get_content().startswith("Guten Tag,")
    assert "<p>Guten Tag,</p>" in received.get_body(("html",)).get_content()
    by_id = {row.id: row for row in rows()}
    for sent in (by_id[business.id], by_id[staff.id]):
        assert (sent.status, sent.attempts, sent.lease_until, sent.last_error) == ("sent", 1, None, "")
        assert sent.sent_at is not None and sent.first_attempt_at is not None
    assert (by_id[later.id].status, by_id[later.id].attempts) == ("pending", 0)

    assert str(dispatch_once()) == "sent 0, failed 0, retried 0, cancelled 0"  # nothing twice
    assert len(smtp_server.messages) == 2


def test_queueing_the_same_key_twice_schedules_one_mail(app, users):
    first = queue_mail("scout1@example.org", unique_key="digest:1:2026-11-24")
    db.session.commit()
    assert queue_mail("scout1@example.org", unique_key="digest:1:2026-11-24") is None
    db.session.commit()
    assert [row.id for row in rows()] == [first.id]


def test_consent_withdrawn_after_queueing_cancels_at_send_time(app, users, smtp_server):
    unsubscribed = consenting_case(users["scout"])
    withdrawn = consenting_case(users["scout"], name="Bäckerei Kemper", address="post@kemper.example.org")
    queue_mail("info@brinkmann.example.org", case=unsubscribed)
    queue_mail("post@kemper.example.org", case=withdrawn)
    db.session.commit()
    unsubscribed.business.unsubscribed_at = utcnow()
    withdrawn.business.email_consent = False
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.cancelled) == (0, 2)
    assert smtp_server.messages == []
    assert [row.status for row in rows()] == ["cancelled", "cancelled"]
    assert "abgemeldet" in rows()[0].last_error or "unsubscribed" in rows()[0].last_error
    assert len(events(unsubscribed, "email_cancelled")) == 1 and len(events(withdrawn, "email_cancelled")) == 1


def test_an_invalid_address_fails_at_once_and_the_batch_goes_on(app, users, smtp_server):
    bad = queue_mail("kein-postfach")
    good = queue_mail("scout1@example.org")
    db.session.commit()

    stats = dispatch_once()

    assert (stats.sent, stats.failed) == (1, 1)
    by_id = {row.id: row for row in rows()}
    assert by_id[bad.id].status == "failed" and "invalid address" in by_id[bad.id].last_error
    assert by_id[good.id].status == "sent"
    assert [m["To"] for m in smtp_server.messages] == ["scout1@example.org"]


def test_claim_takes_each_due_row_once_and_an_expired_lease_goes_back(app):
    due = [queue_mail(f"s{i}@example.org") for i in range(3)]
    queue_mail("later@example.org", due_at=utcnow() + timedelta(minutes=5))
    db.session.commit()

    first = outbox.claim(2, lease_seconds=60)
    second = outbox.claim(10, lease_seconds=60)
    assert first == [due[0].id, due[1].id] and second == [due[2].id]  # oldest first, never twice
    assert outbox.claim(10, lease_seconds=60) == []
    assert {row.status for row in rows() if row.id in first + second} == {"sending"}

    assert outbox.recover_expired_leases() == 0  # the leases still run
    assert outbox.recover_expired_leases(now=utcnow() + timedelta(seconds=61)) == 3
    recovered = [row for row in rows() if row.id in first + second]
    assert {(row.status, row.lease_until, row.attempts) for row in recovered} == {("pending", None, 1)}
    assert outbox.claim(10, lease_seconds=60) == [row.id for row in due]


def test_cli_dispatch_once_prints_sent_failed_and_retried(app, users, smtp_server):
    smtp_server.handler.reject.update({"weg@example.org": "550 5.1.1 User unknown",
                                       "voll@example.org": "451 4.7.1 Try again later"})
    for address in ("a@example.org", "b@example.org", "weg@example.org", "voll@example.org"):
        queue_mail(address)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["procheck", "dispatch", "--once"])

    assert result.exit_code == 0, result.output
    assert "sent 2, failed 1, retried 1" in result.output
    assert sorted(m["To"] for m in smtp_server.messages) == ["a@example.org", "b@example.org"]
    assert sorted(row.status for row in rows()) == ["failed", "pending", "sent", "sent"]


def test_file_backend_writes_one_eml_per_mail(app, users, tmp_path):
    app.config["MAIL_BACKEND"] = "file"
    app.instance_path = str(tmp_path)  # not the developer's instance/mail
    case = consenting_case(users["scout"])
    row = queue_mail("info@brinkmann.example.org", case=case)
    db.session.commit()

    assert dispatch_once().sent == 1

    files = list((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == [row.message_id.strip("<>") + ".eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert (message["To"], message["Message-ID"]) == ("info@brinkmann.example.org", row.message_id)
    assert "Testnachricht" in message.get_body(("plain",)).get_content()
    assert rows()[0].status == "sent"
