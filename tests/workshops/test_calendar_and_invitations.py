"""Invitations by the check's gaps (only to consenting businesses) and the calendar entries the mails carry."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling.models import OutboxMessage
from app.timeutil import BERLIN, utcnow
from app.workshops.models import Registration, WorkshopInvitation
from tests.mailflow import bodies, deliver, link_after, path_of
from tests.workshops.helpers import checked_case, link, workshop


def _calendar_of(message) -> Calendar:
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def _event(calendar: Calendar):
    return next(iter(calendar.walk("VEVENT")))


def _received(server, template_subject: str, to: str):
    found = [m for m in server.messages if m["To"] == to and template_subject in str(m["Subject"])]
    assert len(found) == 1, [str(m["Subject"]) for m in server.messages]
    return found[0]


@pytest.mark.postgres
def test_confirmation_carries_a_request_and_cancellation_a_cancel_with_the_same_uid(client, users, smtp_server):
    case = checked_case(users["scout"])
    email = case.business.email
    target = workshop(days=20, title="IT-Sicherheit im Betrieb")
    client.post(link(case, target), data={"answer": "yes"})
    deliver()
    confirmation = _received(smtp_server, "Ihre Anmeldung", email)
    request = _calendar_of(confirmation)
    event = _event(request)
    assert str(request["METHOD"]) == "REQUEST"
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    assert uid.startswith("workshop-registration-")
    assert event.decoded("DTSTART").tzinfo is not None
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == target.starts_at.astimezone(BERLIN)
    assert [str(tz["TZID"]) for tz in request.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(event["SUMMARY"]) == "IT-Sicherheit im Betrieb"

    text, _html = bodies(confirmation)
    client.post(path_of(link_after(text, "sagen Sie bitte ab, damit ein anderer Betrieb Ihren Platz bekommt")),
                data={"answer": "no"})
    deliver()
    cancel = _calendar_of(_received(smtp_server, "Abgesagt", email))
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(_event(cancel)["UID"]) == uid and int(_event(cancel)["SEQUENCE"]) == 1
    assert str(_event(cancel)["STATUS"]) == "CANCELLED"


def test_a_new_time_sends_the_entry_again_with_a_higher_sequence(client, login, users, smtp_server):
    case = checked_case(users["scout"])
    target = workshop(days=20)
    client.post(link(case, target), data={"answer": "yes"})
    deliver()
    login("scout")
    later = target.starts_at + timedelta(days=1)
    response = client.post(f"/workshops/{target.id}/edit", data={
        "title": target.title, "topic_ids": [t.id for t in target.all_topics],
        "starts_at": later.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "120", "place": target.place, "online_url": "", "capacity": "10",
        "registration_deadline": "", "status": "open", "description": ""})
    assert response.status_code == 302
    deliver()
    updates = [m for m in smtp_server.messages if "Geändert" in str(m["Subject"])]
    assert len(updates) == 1
    event = _event(_calendar_of(updates[0]))
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == later.astimezone(BERLIN)


def test_the_workshop_page_offers_its_calendar_entry(client, login):
    target = workshop()
    login("scout")
    assert "workshop.ics" in client.get(f"/workshops/{target.id}").get_data(as_text=True)
    response = client.get(f"/workshops/{target.id}/workshop.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH" and str(_event(calendar)["SUMMARY"]) == "Sicher im Netz"


def test_a_reminder_is_due_two_working_days_before(client, users):
    case = checked_case(users["scout"])
    target = workshop(days=21)
    client.post(link(case, target), data={"answer": "yes"})
    reminder = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "workshop_reminder"))
    due_day = reminder.due_at.astimezone(BERLIN).date()
    event_day = target.starts_at.astimezone(BERLIN).date()
    assert due_day.weekday() < 5 and 2 <= (event_day - due_day).days <= 6


@pytest.mark.postgres
def test_invitations_go_only_to_consenting_businesses_whose_weakest_dimensions_match(client, login, users,
                                                                                    smtp_server):
    agreed = checked_case(users["scout"], "Dachdecker Weber")
    refused = checked_case(users["scout"], "Malerbetrieb Schulz", consent=False)
    gone = checked_case(users["scout"], "Elektro Kowalski")
    gone.business.unsubscribed_at = utcnow()
    db.session.commit()
    on_security = workshop(topics=("it_security",))  # IT security is the weakest dimension of these checks
    on_ai = workshop(topics=("ai",), title="KI im Handwerk")  # "data" scores high: no gap there
    login("scout")
    page = client.get(f"/workshops/{on_security.id}/invite").get_data(as_text=True)
    assert "Dachdecker Weber" in page and "Malerbetrieb Schulz" not in page and "Elektro Kowalski" not in page
    assert "Einladung zum Workshop" in page and "Ich nehme teil" in page  # the preview
    assert "Dachdecker Weber" not in client.get(f"/workshops/{on_ai.id}/invite").get_data(as_text=True)

    forced = client.post(f"/workshops/{on_security.id}/invite", data={"case_ids": [agreed.id, refused.id]})
    assert forced.status_code == 422 and db.session.scalar(select(func.count()).select_from(WorkshopInvitation)) == 0
    client.post(f"/workshops/{on_security.id}/invite", data={"case_ids": [agreed.id]})
    assert db.session.scalars(select(WorkshopInvitation.case_id)).all() == [agreed.id]
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "workshop_invited")).case_id == agreed.id
    assert "Dachdecker Weber" not in client.get(f"/workshops/{on_security.id}/invite").get_data(as_text=True)

    deliver()
    invitation = _received(smtp_server, "Einladung zum Workshop", agreed.business.email)
    text, _html = bodies(invitation)
    client.post(path_of(link_after(text, "Ich nehme teil")), data={"answer": "yes"})
    assert db.session.scalar(select(Registration.status).where(Registration.case_id == agreed.id)) == "registered"
    assert {str(m["To"]) for m in smtp_server.messages} == {agreed.business.email}  # invitation, confirmation


def test_the_waiting_list_and_reminder_mails_arrive_with_a_working_cancel_link(client, users, smtp_server):
    first, second = checked_case(users["scout"], "Erster Betrieb"), checked_case(users["scout"], "Zweiter Betrieb")
    target = workshop(days=21, capacity=1)
    for case in (first, second):
        client.post(link(case, target), data={"answer": "yes"})
    reminder = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "workshop_reminder"))
    reminder.due_at = utcnow() - timedelta(seconds=1)  # two working days before the workshop
    db.session.commit()
    deliver()
    waiting = _received(smtp_server, "Warteliste", second.business.email)
    assert not [p for p in waiting.walk() if p.get_content_type() == "text/calendar"]
    remind_text, _html = bodies(_received(smtp_server, "Erinnerung", first.business.email))
    assert "Sicher im Netz" in remind_text and "Bildungszentrum Gelsenkirchen" in remind_text
    cancel = link_after(remind_text, "sagen Sie bitte ab, damit ein anderer Betrieb Ihren Platz bekommt")
    assert client.post(path_of(cancel), data={"answer": "no"}).status_code == 200
    assert dict(db.session.execute(select(Registration.case_id, Registration.status)).all()) == {
        first.id: "cancelled", second.id: "registered"}


def test_the_invitation_preview_shows_the_administrators_text(client, login, users):
    from app.scheduling.models import MailText

    checked_case(users["scout"], "Dachdecker Weber")
    target = workshop(topics=("it_security",))
    db.session.add(MailText(template_key="workshop_invitation", subject="Neu: {{ workshop.title }}",
                            body_text="{{ greeting }}\n\nkommen Sie vorbei, {{ business.name }}: {{ yes_url }}",
                            body_html="<p>{{ greeting }}</p>"))
    db.session.commit()
    login("scout")
    page = client.get(f"/workshops/{target.id}/invite").get_data(as_text=True)
    assert f"Neu: {target.title}" in page and "kommen Sie vorbei, Dachdecker Weber:" in page
    assert "Ich nehme teil" not in page  # the default text is not what will be sent
