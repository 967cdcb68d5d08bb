"""The check-in at the event: all marks at once, walk-ins, moves where possible; attendance never before the day;
a mistaken attendance is withdrawn with a reason and stays on record."""

from datetime import timedelta

from sqlalchemy import func, select

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.timeutil import utcnow
from app.workshops.models import Attendance, Registration, Workshop
from app.workshops.services import has_attendance
from tests.factories import add_referral
from tests.workshops.helpers import checked_case, link, workshop


def _attendances() -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance))


def _register(client, cases, target) -> None:
    for case in cases:
        assert client.post(link(case, target), data={"answer": "yes"}).status_code == 200


def _to_the_event_day(target: Workshop, hours_ago: float = 1) -> None:
    """The registration happened before; now it is the event (moved to an hour ago)."""
    target.starts_at = utcnow() - timedelta(hours=hours_ago)
    db.session.commit()


def test_attendance_before_the_event_day_is_refused_in_german_and_nothing_is_saved(client, login, users):
    case = checked_case(users["scout"])
    target = workshop(days=3)
    _register(client, [case], target)
    login("scout")
    page = client.get(f"/workshops/{target.id}").get_data(as_text=True)
    assert "erst ab dem Tag des Workshops" in page and "Check-in speichern" not in page
    response = client.post(f"/workshops/{target.id}/check-in", data={f"mark-{case.id}": "attended", "move_on": "y"})
    assert response.status_code == 409
    assert "Die Teilnahme kann erst ab dem Tag des Workshops" in response.get_data(as_text=True)
    single = client.post(f"/cases/{case.id}/attendance", data={"workshop_id": target.id, "move_on": "y"})
    assert "Die Teilnahme kann erst ab dem Tag des Workshops" in single.get_data(as_text=True)
    assert _attendances() == 0
    assert db.session.get(Case, case.id).state == "check_done"
    assert db.session.scalar(select(Registration.status)) == "registered"


def test_check_in_saves_all_marks_at_once_moves_where_possible_and_adds_a_walk_in(client, login, users):
    came, absent, referred = (checked_case(users["scout"], name) for name in (
        "Tischlerei Ahrens", "Bäckerei Brandt", "Friseur Claasen"))
    add_referral(referred)
    workflow.move(referred, "referred", users["scout"])
    db.session.commit()
    walk_in = checked_case(users["scout"], "Zimmerei Zander", consent=False)
    target = workshop(days=5)
    _register(client, [came, absent, referred], target)
    _to_the_event_day(target)
    login("scout")
    page = client.get(f"/workshops/{target.id}?q=Zander").get_data(as_text=True)
    assert "Zimmerei Zander" in page and "spontan" in page and "Check-in speichern" in page
    response = client.post(f"/workshops/{target.id}/check-in", data={
        f"mark-{came.id}": "attended", f"mark-{absent.id}": "no_show", f"mark-{referred.id}": "attended",
        f"mark-{walk_in.id}": "attended", "move_on": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Check-in gespeichert: 3 teilgenommen, 1 nicht erschienen." in page
    assert "2 Fälle stehen jetzt auf „Workshop besucht“." in page
    states = {c.id: db.session.get(Case, c.id).state for c in (came, absent, referred, walk_in)}
    assert states == {came.id: "workshop_attended", absent.id: "check_done", referred.id: "referred",
                      walk_in.id: "workshop_attended"}
    statuses = dict(db.session.execute(select(Registration.case_id, Registration.status)).all())
    assert statuses == {came.id: "attended", absent.id: "no_show", referred.id: "attended", walk_in.id: "attended"}
    stored = db.session.get(Workshop, target.id)
    assert stored.status == "held" and stored.places_taken == 4
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "workshop_attended")) == 3


def test_a_bad_check_in_list_is_refused_and_saves_nothing(client, login, users):
    case = checked_case(users["scout"])
    target = workshop(days=5)
    _register(client, [case], target)
    _to_the_event_day(target)
    login("scout")
    for data in ({f"mark-{case.id}": "vielleicht"}, {"mark-" + "9" * 20: "attended"}, {"mark-2147483000": "attended"},
                 {}):
        response = client.post(f"/workshops/{target.id}/check-in", data=data)
        assert response.status_code in (409, 422) and "Check-in" in response.get_data(as_text=True)
    assert _attendances() == 0


def test_a_mistaken_attendance_is_withdrawn_with_a_reason_and_kept(client, login, users):
    case = checked_case(users["scout"])
    target = workshop(days=5)
    _register(client, [case], target)
    _to_the_event_day(target)
    login("scout")
    client.post(f"/workshops/{target.id}/check-in", data={f"mark-{case.id}": "attended"})
    url = f"/workshops/{target.id}/cases/{case.id}/withdraw-attendance"
    refused = client.post(url, data={"reason": "   "})
    assert refused.status_code == 422 and "Bitte geben Sie einen Grund an." in refused.get_data(as_text=True)
    response = client.post(url, data={"reason": "Falscher Betrieb angeklickt"}, follow_redirects=True)
    assert "Die Teilnahme ist zurückgenommen." in response.get_data(as_text=True)
    record = db.session.scalar(select(Attendance))
    assert record.withdrawn_at is not None and record.withdrawn_reason == "Falscher Betrieb angeklickt"
    assert not has_attendance(db.session.get(Case, case.id))
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "attendance_withdrawn"))
    assert event.case_id == case.id and "Falscher Betrieb angeklickt" in event.text
    assert db.session.scalar(select(Registration.status)) == "no_show"
    assert client.post(url, data={"reason": "nochmal"}).status_code == 422
    assert _attendances() == 1
