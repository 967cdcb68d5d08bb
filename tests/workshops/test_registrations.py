"""One-click registration: capacity under concurrency, the waiting list and moving up, and the signed links."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling import links
from app.scheduling.models import LinkNonce, OutboxMessage
from app.workshops.models import Registration, Workshop
from tests.workshops.helpers import checked_case, link, workshop


def _statuses(workshop_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(Registration.status, func.count()).where(
        Registration.workshop_id == workshop_id).group_by(Registration.status)).all())


def _mails(template_key: str) -> int:
    return db.session.scalar(select(func.count()).where(OutboxMessage.template_key == template_key))


@pytest.mark.postgres
def test_twenty_simultaneous_one_click_registrations_take_ten_places_and_waitlist_ten(app, users):
    target = workshop(capacity=10)
    paths = [link(checked_case(users["scout"], f"Betrieb {n:02d}"), target) for n in range(20)]
    target_id = target.id
    db.session.remove()  # nothing of the test's session holds a lock while the clicks run

    def click(path: str) -> int:  # a browser of its own: each request has its own context and session
        return app.test_client().post(path, data={"answer": "yes"}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(click, paths))
    assert codes == [200] * 20
    assert _statuses(target_id) == {"registered": 10, "waitlisted": 10}
    stored = db.session.get(Workshop, target_id)
    assert stored.places_taken == 10 and stored.status == "full"
    assert _mails("workshop_confirmation") == 10 and _mails("workshop_waitlisted") == 10
    assert _mails("workshop_reminder") == 10


def test_the_link_page_changes_nothing_until_confirmed_then_lands_on_the_timeline(client, users):
    case = checked_case(users["scout"])
    target = workshop()
    path = link(case, target)
    page = client.get(path).get_data(as_text=True)
    assert "Sicher im Netz" in page and "Ich nehme teil" in page and "Tischlerei Brinkmann" in page
    assert _statuses(target.id) == {}
    done = client.post(path, data={"answer": "yes"}).get_data(as_text=True)
    assert "Sie sind angemeldet" in done
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "workshop_registration"))
    assert event.case_id == case.id and event.data["status"] == "registered" and "Sicher im Netz" in event.text


def test_a_freed_place_goes_to_the_first_on_the_waiting_list_with_a_confirmation(client, users):
    target = workshop(capacity=1)
    first, second, third = (checked_case(users["scout"], name) for name in ("Erster Betrieb", "Zweiter Betrieb",
                                                                              "Dritter Betrieb"))
    for case in (first, second, third):
        client.post(link(case, target), data={"answer": "yes"})
    assert _statuses(target.id) == {"registered": 1, "waitlisted": 2}
    page = client.post(link(first, target, "no"), data={"answer": "no"}).get_data(as_text=True)
    assert "nicht angemeldet" in page
    registrations = {r.case_id: r.status for r in db.session.scalars(select(Registration))}
    assert registrations == {first.id: "cancelled", second.id: "registered", third.id: "waitlisted"}
    assert db.session.get(Workshop, target.id).places_taken == 1
    confirmations = db.session.scalars(select(OutboxMessage.case_id).where(
        OutboxMessage.template_key == "workshop_confirmation")).all()
    assert sorted(confirmations) == sorted([first.id, second.id])
    cancellation = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "workshop_cancelled"))
    assert cancellation.case_id == first.id and cancellation.context["method"] == "CANCEL"
    moved = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == second.id,
                                                      CaseEvent.text.contains("nachgerückt")))
    assert moved is not None


def test_a_reused_link_is_refused_and_registers_nobody_twice(client, users):
    case = checked_case(users["scout"])
    target = workshop()
    path = link(case, target)
    assert client.post(path, data={"answer": "yes"}).status_code == 200
    again = client.post(path, data={"answer": "yes"})
    assert again.status_code == 410 and "bereits verwendet" in again.get_data(as_text=True)
    assert _statuses(target.id) == {"registered": 1}


def test_a_forged_or_changed_link_is_refused(client, users):
    case = checked_case(users["scout"])
    target = workshop()
    path = link(case, target)
    forged = client.post(path[:-3] + "abc", data={"answer": "yes"})
    assert forged.status_code == 400 and "nicht gültig" in forged.get_data(as_text=True)
    huge = links.make_token("workshop", case_id=case.id, business_id=case.business_id, w=10**20, a="yes")
    db.session.commit()
    assert client.post(f"/w/{huge}", data={"answer": "yes"}).status_code == 400  # a 20-digit id, signed
    assert _statuses(target.id) == {}


def test_an_expired_link_is_refused(app, client, users):
    case = checked_case(users["scout"])
    target = workshop()
    path = link(case, target)
    app.config["LINK_WORKSHOP_MAX_AGE_DAYS"] = -1
    response = client.post(path, data={"answer": "yes"})
    assert response.status_code == 410 and "abgelaufen" in response.get_data(as_text=True)
    assert _statuses(target.id) == {}


def test_after_the_deadline_registration_is_refused_in_german_and_the_link_stays_unused(client, users):
    case = checked_case(users["scout"])
    target = workshop(days=14, deadline_days=-1 / 24)
    response = client.post(link(case, target), data={"answer": "yes"})
    assert response.status_code == 409
    assert "Der Anmeldeschluss für diesen Workshop ist vorbei." in response.get_data(as_text=True)
    assert _statuses(target.id) == {}
    assert db.session.scalar(select(func.count()).where(LinkNonce.used_at.is_not(None))) == 0
