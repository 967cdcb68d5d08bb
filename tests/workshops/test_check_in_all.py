"""The one-step check-in ("Alle Angemeldeten als anwesend speichern"): every registered business not yet recorded
counts as attended, with the rules of the check-in (not before the day, cases only forward, the move offered)."""

import re

from sqlalchemy import func, select

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.transactions import unit_of_work
from app.workshops import registrations
from app.workshops.models import Attendance, Registration
from tests.factories import add_referral
from tests.workshops.helpers import checked_case, workshop
from tests.workshops.test_check_in import _attendances, _register, _to_the_event_day

ALL_BUTTON = {"all_registered": "Alle Angemeldeten als anwesend speichern"}


def _listed(page: str) -> list[str]:
    """The case ids of the rows the check-in page shows, as the browser sends them back."""
    return re.findall(r'name="listed" value="(\d+)"', page)


def _statuses() -> dict[int, str]:
    return dict(db.session.execute(select(Registration.case_id, Registration.status)).all())


def test_all_registered_records_exactly_the_registered_ones_and_moves_the_cases(client, login, users):
    came, referred, recorded, absent, waiting, cancelled = (checked_case(users["scout"], name) for name in (
        "Tischlerei Ahrens", "Friseur Brandt", "Bäckerei Claasen", "Malerei Dietz", "Zimmerei Ernst",
        "Elektro Fiedler"))
    add_referral(referred)
    workflow.move(referred, "referred", users["scout"])
    db.session.commit()
    target = workshop(days=5, capacity=4)
    _register(client, [came, referred, recorded, absent, waiting, cancelled], target)
    with unit_of_work():
        registrations.cancel(registrations.find(target.id, cancelled.id))
    assert _statuses()[waiting.id] == "waitlisted" and _statuses()[cancelled.id] == "cancelled"
    late = checked_case(users["scout"], "Glaserei Gerdes")  # registers after the scout loaded the page (below)
    target.capacity = 5
    db.session.commit()
    _register(client, [late], target)
    _to_the_event_day(target)
    login("scout")
    client.post(f"/workshops/{target.id}/check-in", data={f"mark-{recorded.id}": "attended"})  # without the move
    page = client.get(f"/workshops/{target.id}").get_data(as_text=True)
    assert "Alle Angemeldeten als anwesend speichern" in page and "Alle als anwesend markieren" in page

    shown = [case_id for case_id in _listed(page) if case_id != str(late.id)]
    response = client.post(f"/workshops/{target.id}/check-in", data={
        **ALL_BUTTON, "listed": shown, f"mark-{absent.id}": "no_show", "move_on": "y"}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Check-in gespeichert: 2 teilgenommen, 1 nicht erschienen." in page
    assert "1 Fälle stehen jetzt auf „Workshop besucht“." in page
    assert _statuses() == {came.id: "attended", referred.id: "attended", recorded.id: "attended",
                           absent.id: "no_show", waiting.id: "waitlisted", cancelled.id: "cancelled",
                           late.id: "registered"}
    states = {c.id: db.session.get(Case, c.id).state for c in (came, referred, recorded, absent, waiting, cancelled)}
    assert states == {came.id: "workshop_attended", referred.id: "referred", recorded.id: "check_done",
                      absent.id: "check_done", waiting.id: "check_done", cancelled.id: "check_done"}
    attended = set(db.session.scalars(select(Attendance.case_id)))
    assert attended == {came.id, referred.id, recorded.id} and _attendances() == 3
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "workshop_attended")) == 3
    with unit_of_work():
        registrations.cancel(registrations.find(target.id, late.id))
    page = client.get(f"/workshops/{target.id}").get_data(as_text=True)
    assert "Alle Angemeldeten als anwesend speichern" not in page  # nobody registered is left open

    again = client.post(f"/workshops/{target.id}/check-in", data={**ALL_BUTTON, "listed": shown})
    assert again.status_code == 409
    assert "Alle angemeldeten Betriebe sind bereits erfasst." in again.get_data(as_text=True)
    assert _attendances() == 3


def test_all_registered_without_the_move_records_but_moves_nothing(client, login, users):
    case = checked_case(users["scout"])
    target = workshop(days=5)
    _register(client, [case], target)
    _to_the_event_day(target)
    login("scout")
    response = client.post(f"/workshops/{target.id}/check-in", data={**ALL_BUTTON, "listed": [case.id]},
                           follow_redirects=True)
    assert "Check-in gespeichert: 1 teilgenommen, 0 nicht erschienen." in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).state == "check_done" and _attendances() == 1


def test_all_registered_before_the_event_day_is_refused_in_german_and_saves_nothing(client, login, users):
    case = checked_case(users["scout"])
    target = workshop(days=3)
    _register(client, [case], target)
    login("scout")
    assert "Alle Angemeldeten als anwesend speichern" not in client.get(f"/workshops/{target.id}").get_data(
        as_text=True)
    response = client.post(f"/workshops/{target.id}/check-in", data={**ALL_BUTTON, "listed": [case.id],
                                                                      "move_on": "y"})
    assert response.status_code == 409
    assert "Die Teilnahme kann erst ab dem Tag des Workshops" in response.get_data(as_text=True)
    assert _attendances() == 0
    assert _statuses() == {case.id: "registered"}
    assert db.session.get(Case, case.id).state == "check_done"
