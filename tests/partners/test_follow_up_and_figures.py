"""The scout is reminded when a partner reports nothing within 20 working days, and the lead sees per partner how
many referrals got an answer and how many led to an implemented measure."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.cases.measures import record_measure
from app.extensions import db
from app.partners import answers, figures
from app.partners import services as partners
from app.partners.models import Partner, Referral
from app.reference.models import Topic
from app.scheduling.models import Reminder
from app.timeutil import BERLIN, today_berlin, utcnow
from tests.factories import make_case

TITLE = "Noch keine Rückmeldung von Westfälische Hochschule zur Vermittlung"


def _topic(key: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == key))


def _partner(name_part: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.name.contains(name_part)))


def _refer(case, partner="Westfälische", topic="it_security") -> Referral:
    partners.refer(case, _partner(partner), _topic(topic), True, "", case.owner, move_on=False)
    db.session.commit()
    return db.session.scalar(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id.desc()))


def _reminder(referral: Referral) -> Reminder:
    return db.session.scalar(select(Reminder).where(Reminder.unique_key == f"referral:{referral.id}:partner-answer"))


def test_the_reminder_falls_due_after_20_working_days_skipping_weekends_and_holidays(app, users, monkeypatch):
    # Friday 18 December 2026: Christmas and New Year's Day (NW) are no working days.
    monkeypatch.setattr(partners, "utcnow", lambda: datetime(2026, 12, 18, 10, 0, tzinfo=BERLIN))
    referral = _refer(make_case(users["scout"]))
    reminder = _reminder(referral)
    assert reminder.due_at == datetime(2027, 1, 19, 7, 0, tzinfo=BERLIN)
    assert (reminder.assignee_id, reminder.state, reminder.title) == (users["scout"].id, "open", TITLE)


def test_the_scout_sees_the_reminder_when_due_and_the_partners_answer_closes_it(app, client, login, users):
    case = make_case(users["scout"])
    referral = _refer(case)
    login("scout")
    assert TITLE not in client.get("/today").get_data(as_text=True)  # not due for four weeks
    _reminder(referral).due_at = utcnow() - timedelta(minutes=1)  # time travel: 20 working days later
    db.session.commit()
    assert TITLE in client.get("/today").get_data(as_text=True)

    client.post(f"/partner-answer/{answers.make_url(referral).rsplit('/', 1)[1]}", data={"answer": "contacted"})
    reminder = _reminder(referral)
    assert reminder.state == "done" and reminder.close_reason == "Der Partner hat geantwortet: Kontakt aufgenommen"
    assert TITLE not in client.get("/today").get_data(as_text=True)


@pytest.mark.postgres
def test_per_partner_figures_count_answers_and_implemented_measures_without_withdrawn_referrals(
        app, client, login, users):
    scout = users["scout"]
    answered_and_done = make_case(scout, name="Tischlerei Brinkmann")
    first = _refer(answered_and_done)
    answers.record(first, "contacted", "")
    record_measure(answered_and_done, scout, "Firewall eingerichtet", "implemented", _topic("it_security"),
                   today_berlin(), move_on=False)
    other_topic = make_case(scout, name="Elektro Kowalski")
    _refer(other_topic)
    record_measure(other_topic, scout, "Website erneuert", "implemented", _topic("website"), today_berlin(),
                   move_on=False)
    no_need = make_case(scout, name="Malerbetrieb Yilmaz")
    answers.record(_refer(no_need, topic="ai"), "no_need", "Kein Budget")
    withdrawn = make_case(scout, name="Bäckerei Schulte")
    mistaken = _refer(withdrawn)
    answers.record(mistaken, "project_started", "")
    record_measure(withdrawn, scout, "Backup eingerichtet", "implemented", _topic("it_security"), today_berlin(),
                   move_on=False)
    partners.withdraw(mistaken, scout, "Falscher Betrieb")
    before = make_case(scout, name="Dachdecker Nowak")
    record_measure(before, scout, "E-Rechnung eingeführt", "implemented", _topic("e_invoicing"), today_berlin(),
                   move_on=False)
    db.session.commit()
    _refer(before, partner="Mittelstand-Digital Zentrum Handwerk", topic="e_invoicing")

    rows = {row.partner.name: (row.referrals, row.answered, row.implemented) for row in figures.per_partner()}
    assert rows["Westfälische Hochschule"] == (3, 2, 1)
    assert rows["Mittelstand-Digital Zentrum Handwerk"] == (1, 0, 0)  # its measure came before the referral
    assert rows["Hochschule Ruhr West (Campus Bottrop)"] == (0, 0, 0)
    assert len(rows) == db.session.scalar(select(db.func.count()).select_from(Partner))

    login("lead")
    page = client.get("/partners/figures").get_data(as_text=True)
    row = page.split("Westfälische Hochschule</th>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split(">")[1].split("<")[0] for cell in row.split('<td class="num"')[1:]] == ["3", "2", "1"]
    assert "Ergebnisse der Vermittlungen je Partner" in client.get("/partners").get_data(as_text=True)
    login("scout")
    assert "Ergebnisse der Vermittlungen je Partner" not in client.get("/partners").get_data(as_text=True)
    assert client.get("/partners/figures").status_code == 403
