"""Measures on a case: validation (description, status, date), and the move to "implemented"."""

from datetime import timedelta

from sqlalchemy import func, select

from app.cases.measures import measures_for_case, today_in_germany
from app.cases.models import Case, CaseEvent, Measure
from app.extensions import db
from app.reference.models import Topic
from tests.factories import bring_to, make_case


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**overrides) -> dict:
    return {"description": "E-Rechnungen werden jetzt digital empfangen und archiviert", "status": "implemented",
            "implemented_on": today_in_germany().isoformat(), "topic_id": "", **overrides}


def test_form_offers_the_statuses_in_german_with_implemented_preselected(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    page = client.get(f"/cases/{case.id}/measures").get_data(as_text=True)
    for label in ("vorgeschlagen", "geplant", "in Arbeit", "umgesetzt", "verworfen"):
        assert f">{label}</option>" in page
    assert 'selected value="implemented"' in page
    assert "Fall anschließend auf „Umgesetzt“ setzen" in page


def test_a_date_in_the_future_is_refused_and_nothing_saved(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    tomorrow = (today_in_germany() + timedelta(days=1)).isoformat()
    page = client.post(f"/cases/{case.id}/measures", data=_form(implemented_on=tomorrow)).get_data(as_text=True)
    assert "Das Datum darf nicht in der Zukunft liegen." in page
    assert _count(Measure) == 0 and db.session.scalar(
        select(func.count()).where(CaseEvent.kind == "measure_recorded")) == 0


def test_a_missing_description_or_date_is_refused_in_german(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    page = client.post(f"/cases/{case.id}/measures", data=_form(description="  ")).get_data(as_text=True)
    assert "Bitte beschreiben Sie die Maßnahme." in page
    page = client.post(f"/cases/{case.id}/measures", data=_form(implemented_on="")).get_data(as_text=True)
    assert "Bitte geben Sie das Datum ein, an dem die Maßnahme umgesetzt wurde." in page
    page = client.post(f"/cases/{case.id}/measures", data=_form(implemented_on="31.02.2026")).get_data(as_text=True)
    assert "Kein gültiges Datum." in page
    assert _count(Measure) == 0


def test_implemented_measure_with_move_on_moves_the_case(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    topic = db.session.scalar(select(Topic).where(Topic.key == "e_invoicing"))
    login("scout")
    response = client.post(f"/cases/{case.id}/measures", data=_form(topic_id=topic.id, move_on="y"),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Die Maßnahme ist erfasst." in page and "Der Fall steht jetzt auf „Umgesetzt“." in page
    [measure] = measures_for_case(case.id)
    assert measure.status == "implemented" and measure.implemented_on == today_in_germany()
    assert measure.topic_id == topic.id
    assert db.session.get(Case, case.id).state == "implemented"
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "measure_recorded"))
    assert event.data["measure_id"] == measure.id and "Maßnahme (umgesetzt)" in event.text


def test_a_planned_measure_is_recorded_but_cannot_move_the_case(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/measures",
                           data=_form(status="planned", implemented_on="", move_on="y"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Die Maßnahme ist erfasst." in page and "Der Fall wurde nicht weitergesetzt" in page
    [measure] = measures_for_case(case.id)
    assert measure.status == "planned" and measure.implemented_on is None and measure.topic_id is None
    assert db.session.get(Case, case.id).state == "check_done"


def test_case_workers_only(client, login, users):
    case = make_case(users["scout"])
    login("admin")
    assert client.post(f"/cases/{case.id}/measures", data=_form()).status_code == 403
    assert _count(Measure) == 0
