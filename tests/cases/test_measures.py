"""Measures on a case: validation (description, status, date), status changes, and the move to "implemented"."""

from datetime import timedelta

from sqlalchemy import func, select

from app.cases.measures import measures_for_case
from app.cases.models import Case, CaseEvent, Measure
from app.extensions import db
from app.reference.models import Topic
from app.timeutil import today_berlin
from tests.factories import add_measure, bring_to, make_case


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**overrides) -> dict:
    return {"description": "E-Rechnungen werden jetzt digital empfangen und archiviert", "status": "implemented",
            "implemented_on": today_berlin().isoformat(), "topic_id": "", **overrides}


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
    tomorrow = (today_berlin() + timedelta(days=1)).isoformat()
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
    assert measure.status == "implemented" and measure.implemented_on == today_berlin()
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


# --- statuses: suggested, planned, in progress, implemented (with its date), dropped ---

def _status(client, measure, **data):
    return client.post(f"/measures/{measure.id}/status", data=data)


def test_the_case_page_offers_a_status_change_per_measure(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    measure = add_measure(case, "suggested")
    login("scout")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/measures/{measure.id}/status"' in page and f'id="status-{measure.id}"' in page
    assert '<option value="suggested" selected>vorgeschlagen</option>' in page and "Status ändern" in page


def test_implemented_needs_a_date_and_nothing_changes_without_it(client, login, users):
    case = make_case(users["scout"])
    measure = add_measure(case, "planned")
    login("scout")
    response = _status(client, measure, status="implemented", implemented_on="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte geben Sie das Datum ein, an dem die Maßnahme umgesetzt wurde." in page
    tomorrow = (today_berlin() + timedelta(days=1)).isoformat()
    assert "nicht in der Zukunft" in _status(client, measure, status="implemented",
                                             implemented_on=tomorrow).get_data(as_text=True)
    assert _status(client, measure, status="finished", implemented_on="").status_code == 422
    db.session.refresh(measure)
    assert measure.status == "planned" and measure.implemented_on is None
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "measure_recorded")) == 1  # recording


def test_status_change_is_saved_with_its_date_and_written_to_the_timeline(client, login, users):
    case = make_case(users["scout"])
    measure = add_measure(case, "suggested")
    login("scout")
    day = today_berlin() - timedelta(days=2)
    response = _status(client, measure, status="implemented", implemented_on=day.isoformat())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#measure-{measure.id}")
    db.session.refresh(measure)
    assert measure.status == "implemented" and measure.implemented_on == day
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "measure_recorded")
                               .order_by(CaseEvent.id.desc())).first()
    assert "von „vorgeschlagen“ auf „umgesetzt“ geändert" in event.text
    assert event.data == {"measure_id": measure.id, "status": "implemented", "previous": "suggested"}
    # dropped again: the date no longer applies
    _status(client, measure, status="dropped", implemented_on=day.isoformat())
    db.session.refresh(measure)
    assert measure.status == "dropped" and measure.implemented_on is None


def test_the_implemented_guard_needs_an_implemented_measure(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    measure = add_measure(case, "suggested")
    add_measure(case, "in_progress")
    login("scout")
    refused = client.post(f"/cases/{case.id}/move", data={"target": "implemented", "version": case.version})
    assert refused.status_code == 422
    assert "Es ist keine umgesetzte Maßnahme erfasst." in refused.get_data(as_text=True)
    assert db.session.get(Case, case.id).state == "check_done"
    _status(client, measure, status="implemented", implemented_on=today_berlin().isoformat())
    db.session.refresh(case)
    moved = client.post(f"/cases/{case.id}/move", data={"target": "implemented", "version": case.version})
    assert moved.status_code == 302 and db.session.get(Case, case.id).state == "implemented"


def test_status_change_is_for_case_workers_only(client, login, users):
    case = make_case(users["scout"])
    measure = add_measure(case, "planned")
    login("admin")
    assert _status(client, measure, status="dropped").status_code == 403
    db.session.refresh(measure)
    assert measure.status == "planned"
