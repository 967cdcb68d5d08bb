"""Workshops (Berlin time in, UTC stored), the attendance list, and recording attendance on a case."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.reference.models import Topic
from app.timeutil import utcnow
from app.workshops.models import Attendance, Workshop
from app.workshops.services import attendances_for_case
from tests.factories import add_check, add_referral, bring_to, make_case


def _topic() -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == "e_invoicing"))


def _workshop(title: str, starts_at: datetime) -> Workshop:
    workshop = Workshop(title=title, topic_id=_topic().id, starts_at=starts_at, place="Gelsenkirchen")
    db.session.add(workshop)
    db.session.commit()
    return workshop


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**overrides) -> dict:
    return {"title": "E-Rechnung im Handwerk", "topic_ids": str(_topic().id), "starts_at": "2026-07-01T18:30",
            "duration_minutes": "120", "place": "Bildungszentrum Gelsenkirchen", "online_url": "", "capacity": "20",
            "registration_deadline": "", "status": "open", "description": "Austausch", **overrides}


@pytest.mark.postgres
def test_workshop_time_is_entered_in_berlin_and_stored_in_utc(client, login):
    login("scout")
    response = client.post("/workshops/new", data=_form(), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Der Workshop ist gespeichert." in page and "01.07.2026 18:30" in page
    workshop = db.session.scalar(select(Workshop))
    assert workshop.starts_at == datetime(2026, 7, 1, 16, 30, tzinfo=UTC)  # summer time: UTC+2
    client.post(f"/workshops/{workshop.id}/edit", data=_form(starts_at="2026-12-01T18:30"))
    db.session.refresh(workshop)
    assert workshop.starts_at == datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # winter time: UTC+1
    assert 'value="2026-12-01T18:30"' in client.get(f"/workshops/{workshop.id}/edit").get_data(as_text=True)


def test_workshop_form_explains_bad_input_in_german_and_saves_nothing(client, login):
    login("admin")
    page = client.post("/workshops/new", data=_form(title=" ", topic_ids=[], starts_at="morgen", capacity="0")
                       ).get_data(as_text=True)
    assert "Bitte geben Sie einen Titel ein." in page and "Bitte geben Sie zwischen 1 und 1000 Plätze ein." in page
    assert "Bitte wählen Sie ein Thema." in page and "Kein gültiges Datum mit Zeit." in page
    assert _count(Workshop) == 0


def test_workshop_list_shows_upcoming_soonest_first_then_past_latest_first(client, login):
    now = utcnow()
    for title, days in [("Vergangen alt", -60), ("Bald", 3), ("Vergangen neu", -2), ("Später", 30)]:
        _workshop(title, now + timedelta(days=days))
    login("scout")
    page = client.get("/workshops").get_data(as_text=True)
    positions = [page.index(title) for title in ("Bald", "Später", "Vergangen neu", "Vergangen alt")]
    assert positions == sorted(positions)
    assert page.count("vergangen</span>") == 2


def test_attendance_with_move_on_moves_a_checked_case(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    workshop = _workshop("E-Rechnung im Handwerk", utcnow() - timedelta(days=1))
    login("scout")
    form = client.get(f"/cases/{case.id}/attendance").get_data(as_text=True)
    assert "Fall anschließend auf „Workshop besucht“ setzen" in form
    response = client.post(f"/cases/{case.id}/attendance", data={"workshop_id": workshop.id, "move_on": "y"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Die Teilnahme ist erfasst." in page and "Der Fall steht jetzt auf „Workshop besucht“." in page
    assert db.session.get(Case, case.id).state == "workshop_attended"
    assert [a.workshop_id for a in attendances_for_case(case.id)] == [workshop.id]
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "workshop_attended"))
    assert event.case_id == case.id and event.data["workshop_id"] == workshop.id and "E-Rechnung" in event.text


def test_attendance_out_of_order_is_recorded_but_the_case_stays_referred(client, login, users):
    case = make_case(users["scout"])
    add_check(case)
    workflow.move(case, "check_done", users["scout"])
    add_referral(case)
    workflow.move(case, "referred", users["scout"])
    db.session.commit()
    workshop = _workshop("IT-Sicherheit", utcnow() - timedelta(days=1))
    login("scout")
    assert "Fall anschließend" not in client.get(f"/cases/{case.id}/attendance").get_data(as_text=True)
    client.post(f"/cases/{case.id}/attendance", data={"workshop_id": workshop.id, "move_on": "y"})
    assert _count(Attendance) == 1
    assert db.session.get(Case, case.id).state == "referred"
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "workshop_attended")) == 1


def test_the_same_workshop_twice_is_refused_in_german(client, login, users):
    case = make_case(users["scout"])
    workshop = _workshop("E-Rechnung im Handwerk", utcnow() - timedelta(days=1))
    login("scout")
    client.post(f"/cases/{case.id}/attendance", data={"workshop_id": workshop.id})
    response = client.post(f"/cases/{case.id}/attendance", data={"workshop_id": workshop.id})
    assert "Diese Teilnahme ist für diesen Betrieb bereits erfasst." in response.get_data(as_text=True)
    assert _count(Attendance) == 1
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "workshop_attended")) == 1


def test_attendance_offers_recent_and_upcoming_workshops_only(client, login, users):
    case = make_case(users["scout"])
    old = _workshop("Lange her", utcnow() - timedelta(days=200))
    _workshop("Letzten Monat", utcnow() - timedelta(days=30))
    _workshop("Nächste Woche", utcnow() + timedelta(days=7))
    login("scout")
    page = client.get(f"/cases/{case.id}/attendance").get_data(as_text=True)
    assert "Lange her" not in page and page.index("Nächste Woche") < page.index("Letzten Monat")
    response = client.post(f"/cases/{case.id}/attendance", data={"workshop_id": old.id})
    assert "Keine gültige Auswahl" in response.get_data(as_text=True) and _count(Attendance) == 0
    assert "Bitte wählen Sie einen Workshop." in client.post(
        f"/cases/{case.id}/attendance", data={"workshop_id": ""}).get_data(as_text=True)


def test_workshop_page_lists_attendees_with_their_case_and_municipality(client, login, users):
    case = make_case(users["scout"], "Elektro Kowalski GmbH")
    workshop = _workshop("E-Rechnung im Handwerk", utcnow() - timedelta(days=1))
    login("scout")
    client.post(f"/cases/{case.id}/attendance", data={"workshop_id": workshop.id})
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert f'<a href="/cases/{case.id}">Elektro Kowalski GmbH</a>' in page
    assert "Gelsenkirchen" in page and "Sina Scout" in page and "Anmeldungen und Check-in" in page


def test_admin_manages_workshops_but_records_no_attendance(client, login, users):
    case = make_case(users["scout"])
    login("admin")
    assert client.get("/workshops/new").status_code == 200
    assert client.get(f"/cases/{case.id}/attendance").status_code == 403
    assert client.get("/workshops/9999").status_code == 404
