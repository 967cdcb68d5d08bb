"""The double opt-in: the mailed link opens a case in `contacted` for the scout the rule picks, with a reminder and
a confirmation mail; an expired, reused or forged link gets a clear German page and changes nothing."""

import re
import threading
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from app.cases import readmodel
from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.intake import assignment
from app.intake.models import CheckRequest
from app.reference.models import Municipality
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import utcnow
from app.transactions import unit_of_work
from tests.factories import bring_to, make_case
from tests.intake.conftest import EMAIL, confirm_path, latest_request, send, stored
from tests.mailflow import BASE_URL, bodies, deliver, path_of, received

pytestmark = pytest.mark.postgres  # single use under concurrency, the assignment's aggregate

DAY = 86400


def _case_of(row: CheckRequest) -> Case:
    db.session.expire_all()
    return db.session.get(Case, db.session.get(CheckRequest, row.id).case_id)


def _reminders(case: Case) -> list[tuple[int, str, str]]:
    return db.session.execute(select(Reminder.assignee_id, Reminder.title, Reminder.state).where(
        Reminder.case_id == case.id).order_by(Reminder.id)).all()


def test_the_mailed_link_opens_a_case_for_the_scout_with_the_fewest_open_cases(app, client, users, smtp_server):
    make_case(users["scout"], name="Bäckerei Auf der Heide")  # scout1 is busier than scout2
    assert send(client).status_code == 302
    deliver()
    text, html = bodies(received(smtp_server, "Bitte bestätigen Sie Ihre Anfrage", to=EMAIL))
    assert "Guten Tag Karl Kranz," in text and "Der Link gilt 7 Tage." in text
    link = re.search(rf"{re.escape(BASE_URL)}/anfrage/bestaetigen/\S+", text).group(0)
    assert f'href="{link}"' in html

    # Opening the link (a mail scanner does too) shows the request and changes nothing.
    before = stored()
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert "Tischlerei Kranz" in page.get_data(as_text=True) and "45879 Gelsenkirchen" in page.get_data(as_text=True)
    assert stored() == before and latest_request().confirmed_at is None

    done = client.post(path_of(link))
    assert done.status_code == 200 and "Ihre Anfrage ist bestätigt." in done.get_data(as_text=True)

    row = latest_request()
    case = _case_of(row)
    business = case.business
    assert case.state == "contacted" and case.owner_id == users["scout2"].id
    assert (business.name, business.contact_name, business.email, business.phone, business.employees) == (
        "Tischlerei Kranz", "Karl Kranz", EMAIL, "0209 4711", 7)
    assert business.municipality.name == "Gelsenkirchen" and business.trade.name == "Tischler"
    # the consent went through the business form's service: flag, time and how it was given
    assert business.email_consent and business.consent_at is not None
    assert business.consent_source == "Online-Anfrage, per Double-Opt-in bestätigt (Einwilligungstext 2026-12)"
    request_entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                              CaseEvent.kind == "check_requested"))
    assert request_entry.text == "Wir möchten Angebote und Rechnungen digital schreiben."
    assert request_entry.actor_id is None and request_entry.data["email"] == EMAIL
    assert (users["scout2"].id, "Online-Anfrage: Termin für den Check vereinbaren", "open") in _reminders(case)
    assert case.next_due_at is not None
    # the request keeps only the proof of the opt-in
    assert (row.business_id, row.case_id, row.consent_text_version) == (business.id, case.id, "2026-12")
    assert (row.name, row.contact_name, row.email, row.phone, row.message, row.employees) == ("", "", "", "", "", None)
    opt_in = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "intake_opt_in"))
    assert opt_in.case_id == case.id  # the sent opt-in mail belongs to the case now
    # the pipeline's read model counts the new case
    assert readmodel.snapshot() == {k: v for k, v in _rebuilt().items()}

    deliver()
    confirmation, _html = bodies(received(smtp_server, "Ihre Anfrage zum Digitalisierungscheck ist angekommen",
                                          to=EMAIL))
    assert "Ihr Prozessscout Sven Scout meldet sich" in confirmation


def _rebuilt() -> dict:
    with unit_of_work():
        readmodel.rebuild()
    return readmodel.snapshot()


def test_a_used_link_gets_a_clear_page_and_opens_no_second_case(client, requested):
    path = confirm_path(requested)
    assert client.post(path).status_code == 200
    before = stored()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "Diese Anfrage ist bereits bestätigt" in response.get_data(as_text=True)
    assert stored() == before and before["cases"] == 1


def _signed_days_ago(row: CheckRequest, days: float) -> str:
    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * DAY)

    token = URLSafeTimedSerializer("test-secret", salt="procheck-link-intake-confirm", signer=Earlier).dumps(
        {"n": row.nonce})
    return f"/anfrage/bestaetigen/{token}"


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(app, client, requested):
    assert client.get(_signed_days_ago(requested, 6.9)).status_code == 200  # still within the 7 days
    before = stored()
    fresh = confirm_path(requested)  # signed once: a second signature may fall into the next second
    for path in (_signed_days_ago(requested, 7.1), fresh):
        if path == fresh:  # a fresh signature, but the request itself has run out
            db.session.execute(update(CheckRequest).where(CheckRequest.id == requested.id)
                               .values(expires_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        for response in (client.get(path), client.post(path)):
            html = response.get_data(as_text=True)
            assert response.status_code == 410, path
            assert "Dieser Link ist abgelaufen" in html and "innerhalb von 7 Tagen bestätigt" in html
    assert stored() == before and latest_request().confirmed_at is None


def test_a_forged_link_gets_a_clear_page_and_changes_nothing(app, client, requested):
    genuine = confirm_path(requested).rsplit("/", 1)[1]
    payload, signature = genuine.rsplit(".", 1)
    other_purpose = URLSafeTimedSerializer("test-secret", salt="procheck-link-answer").dumps({"n": requested.nonce})
    unknown_key = URLSafeTimedSerializer("another-key", salt="procheck-link-intake-confirm").dumps(
        {"n": requested.nonce})
    before = stored()
    for token in (f"{payload}.{signature[:-2]}xx", other_purpose, unknown_key, "not-a-token", "a" * 500):
        for response in (client.get(f"/anfrage/bestaetigen/{token}"), client.post(f"/anfrage/bestaetigen/{token}")):
            assert response.status_code == 400, token
            assert "Dieser Link ist nicht gültig" in response.get_data(as_text=True)
    assert stored() == before and latest_request().confirmed_at is None


def test_a_known_business_without_open_case_gets_a_new_case_but_no_second_business(client, users, requested):
    old = make_case(users["scout2"], name="Tischlerei Kranz GmbH")
    old.business.email = EMAIL
    old.business.contact_name = "Klara Kranz"
    db.session.commit()
    bring_to(old, "withdrawn", users["scout2"])
    before = stored()

    assert client.post(confirm_path(requested)).status_code == 200
    case = _case_of(requested)
    assert stored()["businesses"] == before["businesses"]
    assert stored()["cases"] == before["cases"] + 1
    assert case.business_id == old.business_id and case.state == "contacted"
    business = db.session.get(Business, old.business_id)
    assert business.name == "Tischlerei Kranz GmbH" and business.contact_name == "Klara Kranz"  # kept
    assert business.email_consent and business.employees == 7  # consent recorded, the gap filled


def test_a_business_that_once_unsubscribed_consents_again_by_its_confirmed_request(client, users, requested):
    from app.cases.consents import Consent

    old = make_case(users["scout2"], name="Tischlerei Kranz GmbH")
    old.business.email, old.business.email_consent, old.business.unsubscribed_at = EMAIL, True, utcnow()
    db.session.commit()
    bring_to(old, "withdrawn", users["scout2"])

    assert client.post(confirm_path(requested)).status_code == 200
    business = db.session.get(Business, old.business_id)
    assert business.unsubscribed_at is None and business.email_consent
    consent = db.session.scalars(select(Consent).where(Consent.business_id == business.id)
                                 .order_by(Consent.id.desc())).first()
    assert (consent.source, consent.text_version) == ("public_request", requested.consent_text_version)


def test_a_known_business_with_an_open_case_gets_the_request_on_its_timeline_and_its_owner_a_reminder(
        client, users, requested):
    open_case = make_case(users["scout"], name=" tischlerei KRANZ ", postcode="45879")  # same by name + postcode
    bring_to(open_case, "check_done", users["scout"])
    before = stored()

    assert client.post(confirm_path(requested)).status_code == 200
    assert stored()["cases"] == before["cases"] and stored()["businesses"] == before["businesses"]
    assert _case_of(requested).id == open_case.id
    db.session.expire_all()
    assert open_case.state == "check_done"  # the case stays where it is
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == open_case.id)).all()
    assert "check_requested" in kinds
    assert (users["scout"].id, "Online-Anfrage zu diesem offenen Fall: Kontakt mit dem Betrieb aufnehmen",
            "open") in _reminders(open_case)
    business = open_case.business
    assert business.email == EMAIL and business.email_consent  # the confirmed address, with its consent


def test_the_scout_set_for_the_municipality_gets_the_request_while_active(app, client, users, requested):
    for _ in range(2):
        make_case(users["scout"])  # scout1 is the busier one, but set for Gelsenkirchen
    gelsenkirchen = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    with unit_of_work():
        assignment.assign(gelsenkirchen.id, users["scout"])
    assert client.post(confirm_path(requested)).status_code == 200
    assert _case_of(requested).owner_id == users["scout"].id

    users["scout"].active = False  # left the programme: the rule falls back to the least busy scout
    db.session.commit()
    assert send(client, email="zweite@example.org", name="Malerbetrieb Sommer").status_code == 302
    second = latest_request()
    assert client.post(confirm_path(second)).status_code == 200
    assert _case_of(second).owner_id == users["scout2"].id


def test_without_any_active_case_worker_the_link_stays_usable(app, client, users, requested):
    for who in ("scout", "scout2", "lead"):
        users[who].active = False
    db.session.commit()
    response = client.post(confirm_path(requested))
    assert response.status_code == 422
    assert "Derzeit kann niemand die Anfrage übernehmen." in response.get_data(as_text=True)
    assert latest_request().confirmed_at is None and stored()["cases"] == 0
    users["lead"].active = True
    db.session.commit()
    assert client.post(confirm_path(requested)).status_code == 200
    assert _case_of(requested).owner_id == users["lead"].id


def test_two_clicks_at_once_open_one_case(app, requested):
    path = confirm_path(requested)
    db.session.remove()
    start = threading.Barrier(2)
    statuses: list[int] = []

    def click() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post(path).status_code)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 410]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
