"""The morning digest: one mail per scout with due reminders, none otherwise, once a day, through real SMTP."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from app.extensions import db
from app.scheduling import reminders
from app.scheduling.digest import queue_digests
from app.scheduling.dispatch import dispatch_once
from app.scheduling.jobs import JOBS, digest_job
from app.scheduling.models import OutboxMessage
from app.timeutil import BERLIN
from app.transactions import unit_of_work
from tests.factories import make_case

pytestmark = pytest.mark.postgres  # time zones and the once-a-day unique key

MONDAY_MORNING = datetime(2025, 3, 10, 7, 0, tzinfo=BERLIN)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def _remind(case, user, due: datetime, title: str):
    reminder = reminders.create(case, user.id, due, title)
    db.session.commit()
    return reminder


def _digests() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template_key == "digest")
                              .order_by(OutboxMessage.id)).all()


def test_one_digest_per_scout_with_something_due_and_none_for_the_others(app, users):
    case = make_case(users["scout"], "Bäckerei Overkamp")
    _remind(case, users["scout"], _at(date(2025, 3, 10), 7), "Termin vereinbaren")
    _remind(case, users["scout"], _at(date(2025, 3, 6), 7), "Angebot nachfragen")
    _remind(case, users["scout2"], _at(date(2025, 3, 11), 7), "Erst morgen fällig")
    done = _remind(case, users["scout2"], _at(date(2025, 3, 7), 7), "Schon erledigt")
    reminders.close(done, "done")
    db.session.commit()

    assert queue_digests(MONDAY_MORNING) == 2  # the scout's, and the lead's naming the team's overdue reminder
    row, lead_row = _digests()
    assert lead_row.recipient == users["lead"].email
    assert (row.recipient, row.audience, row.status) == (users["scout"].email, "staff", "pending")
    assert row.unique_key == f"digest:{users['scout'].id}:2025-03-10"
    assert row.due_at == MONDAY_MORNING.astimezone(UTC)


def test_queueing_twice_the_same_day_queues_nothing_more(app, users):
    case = make_case(users["scout"])
    _remind(case, users["scout"], _at(date(2025, 3, 10), 7), "Termin vereinbaren")
    assert queue_digests(MONDAY_MORNING) == 1
    assert queue_digests(MONDAY_MORNING + timedelta(hours=2)) == 0
    assert len(_digests()) == 1
    # still due the next day: a new digest, and, being overdue by then, one for the lead
    assert queue_digests(MONDAY_MORNING + timedelta(days=1)) == 2


def test_no_digest_for_an_inactive_scout_or_when_nothing_is_due(app, users):
    assert queue_digests(MONDAY_MORNING) == 0
    case = make_case(users["scout"])
    _remind(case, users["scout"], _at(date(2025, 3, 10), 9), "Termin vereinbaren")
    users["scout"].active = False
    db.session.commit()
    assert queue_digests(MONDAY_MORNING) == 0 and _digests() == []


def test_the_digest_arrives_with_both_bodies_listing_the_reminders_and_links(app, users, smtp_server):
    case = make_case(users["scout"], "Elektro Kowalski GmbH")
    _remind(case, users["scout"], _at(date(2025, 3, 10), 7), "Termin für den Check vereinbaren")
    _remind(case, users["scout"], _at(date(2025, 3, 6), 10, 30), "Angebot nachfragen")
    with unit_of_work():
        queue_digests(MONDAY_MORNING)
    stats = dispatch_once()
    assert stats.sent == 2  # and the lead's, for the team's overdue reminder
    [mail] = [m for m in smtp_server.messages if m["To"] == users["scout"].email]
    assert mail["Subject"] == "Wiedervorlagen am 10.03.2025: 2 fällig, 1 überfällig"
    assert "List-Unsubscribe" not in mail
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    case_url = f"{app.config['PUBLIC_BASE_URL']}/cases/{case.id}"
    for body in (text, html):
        assert "Guten Morgen Sina Scout" in body and "Elektro Kowalski GmbH" in body
        assert body.index("Angebot nachfragen") < body.index("Termin für den Check vereinbaren")
        assert "06.03.2025 10:30" in body and "überfällig" in body and case_url in body
        assert f"{app.config['PUBLIC_BASE_URL']}/today" in body and app.config["CHAMBER_NAME"] in body
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.template_key == "digest")) == "sent"


def test_the_job_runs_on_working_days_only(app, users):
    case = make_case(users["scout"])
    _remind(case, users["scout"], _at(date(2025, 4, 1), 7), "Termin vereinbaren")
    good_friday = datetime(2025, 4, 18, 7, 0, tzinfo=BERLIN)
    assert digest_job(good_friday) == 0 and _digests() == []
    assert digest_job(datetime(2025, 4, 22, 7, 0, tzinfo=BERLIN)) == 2  # overdue by then: the lead's too


def test_the_digest_is_scheduled_at_seven_on_weekdays_berlin_time(app):
    [trigger_args] = [args for job_id, _job, args in JOBS if job_id == "digest"]
    trigger = CronTrigger(**{k: v for k, v in trigger_args.items() if k != "trigger"})
    friday_noon = datetime(2025, 3, 14, 12, 0, tzinfo=BERLIN)
    assert trigger.get_next_fire_time(None, friday_noon) == datetime(2025, 3, 17, 7, 0, tzinfo=BERLIN)
    summer = trigger.get_next_fire_time(None, datetime(2025, 7, 1, 8, 0, tzinfo=BERLIN))
    assert summer.astimezone(UTC) == datetime(2025, 7, 2, 5, 0, tzinfo=UTC)


def test_a_digest_queued_before_the_scout_cleared_the_list_says_so(app, users, smtp_server):
    case = make_case(users["scout"])
    reminder = _remind(case, users["scout"], _at(date(2025, 3, 10), 7), "Termin vereinbaren")
    queue_digests(MONDAY_MORNING)
    reminders.close(reminder, "done")
    db.session.commit()
    dispatch_once()
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Wiedervorlagen am 10.03.2025: alles erledigt"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_leads_digest_names_the_teams_overdue_reminders_and_links_the_review_queue(app, users, smtp_server):
    case = make_case(users["scout"], "Dachdeckerei Hülsmann")
    _remind(case, users["scout"], _at(date(2025, 3, 6), 7), "Angebot nachfragen")
    _remind(case, users["scout2"], _at(date(2025, 3, 7), 7), "Rückruf")
    _remind(case, users["scout2"], _at(date(2025, 3, 10), 9), "Heute fällig, nicht überfällig")
    with unit_of_work():
        assert queue_digests(MONDAY_MORNING) == 3  # two scouts, and the lead who has nothing of their own due
    dispatch_once()
    [mail] = [m for m in smtp_server.messages if m["To"] == users["lead"].email]
    assert mail["Subject"] == "Wiedervorlagen am 10.03.2025: alles erledigt, im Team 2 überfällig"
    for body in (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()):
        assert "Im Team sind 2 Wiedervorlagen überfällig" in body
        assert f"{app.config['PUBLIC_BASE_URL']}/review" in body
    [scout_mail] = [m for m in smtp_server.messages if m["To"] == users["scout"].email]
    assert "Im Team" not in scout_mail.get_body(("plain",)).get_content()
