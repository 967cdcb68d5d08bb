"""Changing a workshop: cancelling it reaches the registered, more places move the waiting list up, a workshop
needs a place or an online link; and the migration turned the old attendances into registrations."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from app.extensions import db
from app.scheduling.models import OutboxMessage
from app.timeutil import BERLIN
from app.workshops.models import Registration, Workshop
from tests.factories import add_attendance, make_case
from tests.workshops.helpers import checked_case, link, workshop


def _form(target: Workshop, **overrides) -> dict:
    return {"title": target.title, "topic_ids": [t.id for t in target.all_topics],
            "starts_at": target.starts_at.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "120",
            "place": target.place, "online_url": "", "capacity": str(target.capacity), "registration_deadline": "",
            "status": "open", "description": "", **overrides}


def test_cancelling_the_workshop_cancels_every_registration_with_the_calendar_cancellation(client, login, users):
    registered, waiting = checked_case(users["scout"], "Erster Betrieb"), checked_case(users["scout"], "Zweiter")
    target = workshop(capacity=1)
    for case in (registered, waiting):
        client.post(link(case, target), data={"answer": "yes"})
    login("lead")
    assert client.post(f"/workshops/{target.id}/edit", data=_form(target, status="cancelled")).status_code == 302
    assert set(db.session.scalars(select(Registration.status))) == {"cancelled"}
    cancellations = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template_key == "workshop_cancelled")).all()
    assert [(row.case_id, row.context["method"]) for row in cancellations] == [(registered.id, "CANCEL")]
    reminder = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "workshop_reminder"))
    assert reminder.status == "cancelled"
    refused = client.post(link(waiting, target), data={"answer": "yes"})
    assert refused.status_code == 409 and "Dieser Workshop ist abgesagt." in refused.get_data(as_text=True)


def test_more_places_move_the_waiting_list_up(client, login, users):
    cases = [checked_case(users["scout"], f"Betrieb {n}") for n in range(3)]
    target = workshop(capacity=1)
    for case in cases:
        client.post(link(case, target), data={"answer": "yes"})
    login("scout")
    client.post(f"/workshops/{target.id}/edit", data=_form(target, capacity="2"))
    statuses = dict(db.session.execute(select(Registration.case_id, Registration.status)).all())
    assert statuses == {cases[0].id: "registered", cases[1].id: "registered", cases[2].id: "waitlisted"}
    assert db.session.get(Workshop, target.id).places_taken == 2
    fewer = client.post(f"/workshops/{target.id}/edit", data=_form(target, capacity="1"))
    assert fewer.status_code == 422 and "nicht unter den bereits vergebenen Plätzen" in fewer.get_data(as_text=True)


def test_a_workshop_needs_a_place_or_an_online_link(client, login):
    target = workshop()
    login("scout")
    page = client.post(f"/workshops/{target.id}/edit", data=_form(target, place="")).get_data(as_text=True)
    assert "Bitte geben Sie den Ort oder den Online-Link ein." in page
    online = _form(target, place="", online_url="https://meet.example.org/workshop")
    assert client.post(f"/workshops/{target.id}/edit", data=online).status_code == 302
    assert db.session.get(Workshop, target.id).online_url == "https://meet.example.org/workshop"


@pytest.mark.postgres
def test_the_migration_turns_each_attendance_into_an_attended_registration(app, users):
    attendance = add_attendance(make_case(users["scout"]))
    workshop_id, case_id = attendance.workshop_id, attendance.case_id
    db.session.remove()
    downgrade(revision="e4f5a6b7c8d9")
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM attendances")).scalar() == 1
    upgrade()
    assert db.session.execute(select(Registration.workshop_id, Registration.case_id, Registration.status)).all() == [
        (workshop_id, case_id, "attended")]
    migrated = db.session.get(Workshop, workshop_id)
    assert migrated.status == "held" and migrated.places_taken == 1
    assert [t.id for t in migrated.topics] == [migrated.topic_id]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
