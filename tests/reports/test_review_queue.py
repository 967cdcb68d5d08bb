"""The lead's review queue: stuck cases by per-state limits in working days, overdue reminders per scout, cases
waiting on the business, failed mails; reassigning from it; the lead's Heute naming the team's overdue count."""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from app.cases import activity
from app.cases.models import Case, CaseEvent
from app.cases.services import add_event
from app.extensions import db
from app.reports import review
from app.reports.models import StuckThreshold
from app.scheduling import outbox, reminders
from app.scheduling.models import OutboxMessage
from app.timeutil import BERLIN, today_berlin, utcnow
from app.transactions import unit_of_work
from tests.cases.test_query_plans import plans_of
from tests.factories import bring_to, make_case
from tests.mailflow import BASE_URL, advance, bodies, consenting_case, deliver, link_after, make_due, path_of, received

TUESDAY_AFTER_EASTER = datetime(2026, 4, 7, 10, 0, tzinfo=BERLIN)


def idle_since(case: Case, day) -> None:
    """Backdate the case's whole timeline to `day` (noon, Berlin) and recompute its activity from it."""
    moment = datetime.combine(day, time(12, 0), tzinfo=BERLIN)
    db.session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(created_at=moment))
    activity.backfill(db.session.connection())
    db.session.commit()


def working_days_ago(days: int):
    return review.working_days_before(today_berlin(), days)


def test_the_cutoff_counts_working_days_and_skips_weekends_and_holidays(app):
    db.session.add(StuckThreshold(state="contacted", working_days=2))
    db.session.commit()
    cuts = review.cutoffs(TUESDAY_AFTER_EASTER)
    # Tuesday after Easter: Easter Monday, the weekend and Good Friday are skipped, two working days back is Wednesday.
    assert cuts["contacted"] == datetime(2026, 4, 1, 0, 0, tzinfo=BERLIN)
    assert cuts["check_done"] == datetime.combine(review.working_days_before(TUESDAY_AFTER_EASTER.date(), 15),
                                                  time(0, 0), tzinfo=BERLIN)
    assert "implemented" not in cuts  # not watched by default
    assert review.working_days_between(datetime(2026, 4, 1).date(), TUESDAY_AFTER_EASTER.date()) == 2


@pytest.mark.postgres
def test_stuck_cases_follow_each_states_limit_and_a_note_resets_the_activity(client, login, users):
    contacted_old = make_case(users["scout"], "Tischlerei Alt")           # contacted, 11 working days idle: stuck
    contacted_recent = make_case(users["scout"], "Malerei Frisch")        # contacted, 9 working days: not yet
    checked = bring_to(make_case(users["scout2"], "Elektro Geprüft"), "check_done", users["scout2"])  # 11 < 15
    withdrawn = bring_to(make_case(users["scout"], "Bäckerei Weg"), "withdrawn", users["scout"])
    idle_since(contacted_old, working_days_ago(11))
    idle_since(contacted_recent, working_days_ago(9))
    idle_since(checked, working_days_ago(11))
    idle_since(withdrawn, working_days_ago(100))

    login("lead")
    page = client.get("/review").get_data(as_text=True)
    stuck = page[page.index('id="stuck"'):page.index('id="overdue"')]
    assert "Tischlerei Alt" in stuck
    assert not any(name in stuck for name in ("Malerei Frisch", "Elektro Geprüft", "Bäckerei Weg"))
    assert "Kontakt aufgenommen (über 10 Arbeitstage): 1" in stuck

    # The lead lowers the limit of check_done to 10 working days: the checked case is stuck as well.
    response = client.post("/review/thresholds", data={"contacted": "10", "check_done": "10",
                                                       "workshop_attended": "20", "referred": "20", "implemented": ""})
    assert response.status_code == 302
    assert db.session.get(StuckThreshold, "check_done").working_days == 10
    assert db.session.get(StuckThreshold, "implemented").working_days is None
    stuck = client.get("/review?stuck_state=check_done").get_data(as_text=True)
    assert "Elektro Geprüft" in stuck and "Tischlerei Alt" not in stuck

    # A note is activity: the case leaves the queue.
    login("scout")
    assert client.post(f"/cases/{contacted_old.id}/notes", data={"text": "Angerufen", "channel": "call"}
                       ).status_code in (200, 302)
    assert db.session.get(Case, contacted_old.id).last_activity_at > utcnow() - timedelta(minutes=1)
    login("lead")
    assert "Tischlerei Alt" not in client.get("/review").get_data(as_text=True)


def test_a_limit_outside_one_to_250_working_days_is_refused_in_german(client, login):
    login("lead")
    response = client.post("/review/thresholds", data={"contacted": "0", "check_done": "abc"})
    assert response.status_code == 422
    assert "Bitte geben Sie zwischen 1 und 250 Arbeitstagen ein" in response.get_data(as_text=True)
    assert db.session.scalar(select(StuckThreshold)) is None


def _remind(case, user, days_ago: int, title: str):
    due = datetime.combine(today_berlin() - timedelta(days=days_ago), time(9, 0), tzinfo=BERLIN)
    with unit_of_work():
        return reminders.create(case, user.id, due, title)


def test_overdue_reminders_are_counted_per_scout_and_listed(client, login, users):
    case = make_case(users["scout"], "Schreinerei Overdue")
    other = make_case(users["scout2"], "Sanitär Später")
    _remind(case, users["scout"], 3, "Angebot nachfragen")
    _remind(case, users["scout"], 1, "Rückruf")
    _remind(other, users["scout2"], 2, "Termin bestätigen")
    _remind(other, users["scout2"], 0, "Heute fällig")  # due today: not overdue

    per = {user.name: n for user, n in review.overdue_per_assignee()}
    assert per == {"Sina Scout": 2, "Sven Scout": 1}
    login("lead")
    page = client.get(f"/review?assignee={users['scout2'].id}").get_data(as_text=True)
    section = page[page.index('id="overdue"'):page.index('id="waiting"')]
    assert "Termin bestätigen" in section and "Angebot nachfragen" not in section and "Heute fällig" not in section
    assert "1 überfällige Wiedervorlage" in section


def test_the_leads_heute_names_the_teams_overdue_count_and_a_scouts_does_not(client, login, users):
    case = make_case(users["scout"])
    _remind(case, users["scout"], 2, "Angebot nachfragen")
    _remind(case, users["scout2"], 4, "Rückruf")
    login("lead")
    page = client.get("/today").get_data(as_text=True)
    assert "Im Team sind 2 Wiedervorlagen überfällig." in page and 'href="/review#overdue"' in page
    login("scout")
    assert "Im Team" not in client.get("/today").get_data(as_text=True)


def test_a_case_waits_on_the_business_from_the_self_check_link_until_the_submission(client, login, users):
    waiting = make_case(users["scout"], "Friseur Wartet")
    answered = make_case(users["scout"], "Kfz Antwort")
    withdrawn = make_case(users["scout"], "Optiker Zurückgezogen")
    with unit_of_work():
        for case in (waiting, answered, withdrawn):
            add_event(case, "self_check_sent", users["scout"], "Link gesendet")
    with unit_of_work():
        add_event(answered, "self_check_submitted", None, "Abgeschickt")
    bring_to(withdrawn, "withdrawn", users["scout"])
    assert db.session.get(Case, waiting.id).awaiting_business_since is not None
    assert db.session.get(Case, answered.id).awaiting_business_since is None

    login("lead")
    page = client.get("/review").get_data(as_text=True)
    section = page[page.index('id="waiting"'):page.index('id="failed"')]
    assert "Friseur Wartet" in section and "Kfz Antwort" not in section and "Optiker Zurückgezogen" not in section
    assert "1 Fall wartet auf den Betrieb" in section
    # The backfill (migration, bulk seed) agrees with what the flushes kept.
    before = db.session.execute(select(Case.id, Case.awaiting_business_since, Case.last_activity_at)
                                .order_by(Case.id)).all()
    activity.backfill(db.session.connection())
    assert db.session.execute(select(Case.id, Case.awaiting_business_since, Case.last_activity_at)
                              .order_by(Case.id)).all() == before


@pytest.mark.postgres
def test_a_case_waits_on_the_business_from_the_survey_mail_until_its_answer(app, client, login, users, smtp_server):
    app.config["PUBLIC_BASE_URL"] = BASE_URL
    case = consenting_case(users["scout"])
    advance(case, "referred", users["scout"])
    assert db.session.get(Case, case.id).awaiting_business_since is None
    make_due(case, "how_is_it_going")
    deliver()
    text, _html = bodies(received(smtp_server, "Wie läuft es"))
    db.session.expire_all()
    sent_at = db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.template_key == "how_is_it_going"))
    assert db.session.get(Case, case.id).awaiting_business_since == sent_at
    login("lead")
    section = client.get("/review").get_data(as_text=True).split('id="waiting"')[1].split('id="failed"')[0]
    assert "1 Fall wartet auf den Betrieb" in section

    client.post(path_of(link_after(text, "in Arbeit")), data={"answer": "in_progress"})
    db.session.expire_all()
    assert db.session.get(Case, case.id).awaiting_business_since is None


def test_cases_with_failed_mails_are_listed_with_their_count(client, login, users):
    case = make_case(users["scout"], "Glaserei Unzustellbar")
    with unit_of_work():
        for key in ("a", "b"):
            row = outbox.queue(recipient="x@example.org", audience="business", template_key="check_results",
                               due_at=utcnow(), unique_key=f"failed-{key}", case_id=case.id)
            row.status = "failed"
    assert review.failed_count() == 1
    login("lead")
    page = client.get("/review").get_data(as_text=True)
    section = page[page.index('id="failed"'):]
    assert "Glaserei Unzustellbar" in section and "1 Fall mit nicht zugestellten E-Mails" in section


@pytest.mark.postgres
def test_the_lead_reassigns_stuck_cases_from_the_queue(client, login, users):
    case = make_case(users["scout"], "Tischlerei Alt")
    idle_since(case, working_days_ago(12))
    login("lead")
    response = client.post("/review/reassign?section=stuck",
                           data={"case_ids": [str(case.id)], "new_owner": str(users["scout2"].id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review#stuck")
    assert db.session.get(Case, case.id).owner_id == users["scout2"].id
    page = client.get("/review").get_data(as_text=True)
    assert "1 Fall wurde an Sven Scout übergeben." in page
    refused = client.post("/review/reassign", data={"case_ids": [str(case.id)], "new_owner": ""})
    assert refused.status_code == 400 and "Bitte wählen Sie einen aktiven Scout aus" in refused.get_data(as_text=True)


def test_the_queue_reads_its_rows_through_indexes(app, users):
    for i in range(3):
        idle_since(make_case(users["scout"], f"Betrieb {i}"), working_days_ago(30))
    cuts = review.cutoffs()
    plans = plans_of(lambda: review.stuck_page(cuts, review.stuck_counts(cuts), None, 1, 25))
    stuck = [plan for statement, plan in plans.items() if "last_activity_at <" in statement]
    assert stuck and all(any("ix_cases_state_activity" in step for step in plan) for plan in stuck), stuck
    plans = plans_of(lambda: (review.overdue_page(None, 0, 1, 25), review.waiting_page(0, 1, 25),
                              review.team_overdue()))
    joined = " ".join(" ".join(plan) for plan in plans.values())
    assert "ix_reminders_state_due" in joined and "ix_cases_awaiting_business" in joined
