"""Data minimisation: requests nobody confirmed are deleted with their opt-in mail once the link has expired; the
scheduler runs the job; the scout per municipality is set on the command line."""

from datetime import timedelta

from sqlalchemy import select

from app import intake
from app.auth.models import LoginThrottle
from app.extensions import db
from app.intake.models import CheckRequest, IntakeAssignment
from app.intake.services import delete_expired
from app.scheduling.models import OutboxMessage
from app.scheduling.runner import all_jobs
from app.timeutil import utcnow
from tests.intake.conftest import confirm_path, latest_request, send, stored


def test_unconfirmed_requests_are_deleted_with_their_mail_once_expired_confirmed_ones_stay(app, client):
    for n in range(3):
        assert send(client, email=f"betrieb{n}@example.org").status_code == 302
    confirmed, waiting, expired = db.session.scalars(select(CheckRequest).order_by(CheckRequest.id)).all()
    assert client.post(confirm_path(confirmed)).status_code == 200
    db.session.expire_all()
    for row in (confirmed, expired):  # the confirmed one ran out too, but its proof of consent stays
        row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired_id, waiting_id = expired.id, waiting.id

    assert intake.cleanup_job() == 1
    db.session.expire_all()
    assert db.session.scalars(select(CheckRequest.id).order_by(CheckRequest.id)).all() == [confirmed.id, waiting_id]
    keys = db.session.scalars(select(OutboxMessage.unique_key)).all()
    assert f"intake_opt_in:{expired_id}" not in keys and f"intake_opt_in:{waiting_id}" in keys
    assert delete_expired() == 0  # nothing left to delete


def test_the_cleanup_also_drops_spent_throttle_counters(app, client):
    send(client)
    db.session.execute(db.update(LoginThrottle).values(reset_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    intake.cleanup_job()
    assert db.session.scalar(select(LoginThrottle.key)) is None


def test_the_scheduler_runs_the_cleanup_hourly(app):
    jobs = {job_id: trigger for job_id, _job, trigger in all_jobs(app)}
    assert jobs["intake-cleanup"] == {"trigger": "interval", "minutes": 60}
    assert {"dispatch", "digest"} <= set(jobs)


def test_the_scout_per_municipality_is_set_and_removed_on_the_command_line(app, users):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["procheck", "intake-assign", "Gelsenkirchen", "scout1@example.org"])
    assert result.exit_code == 0 and "Anfragen aus Gelsenkirchen gehen an Sina Scout." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(IntakeAssignment.scout_id)) == users["scout"].id

    for wrong in (["Atlantis", "scout1@example.org"], ["Gelsenkirchen", "leitung@example.org"]):
        refused = runner.invoke(args=["procheck", "intake-assign", *wrong])
        assert refused.exit_code != 0
    assert "Kein aktiver Prozessscout" in refused.output

    result = runner.invoke(args=["procheck", "intake-assign", "Gelsenkirchen"])
    assert result.exit_code == 0 and "wenigsten offenen Fällen" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(IntakeAssignment.scout_id)) is None


def test_the_opt_in_mail_of_a_deleted_request_is_not_left_behind(app, client):
    send(client)
    row = latest_request()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    delete_expired()
    db.session.commit()
    assert stored() == {"requests": 0, "businesses": 0, "cases": 0, "mails": 0}
