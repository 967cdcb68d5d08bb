"""The partner reports back on a referral through the signed link in its referral mail, without an account.

The mail is queued by the real follow-up rules, sent by the real dispatcher to an SMTP server on loopback, and
the link is read from what arrived. Opening the link changes nothing; confirming records the answer on the
referral (the latest counts) and on the timeline. Within 90 days the link can be used again.
"""

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.partners import answers
from app.partners.models import Partner, Referral
from app.partners.services import refer, withdraw
from app.reference.models import Topic
from app.scheduling import links
from app.scheduling.models import Reminder
from tests.mailflow import BASE_URL, advance, bodies, consenting_case, deliver, path_of, received

pytestmark = pytest.mark.postgres  # links, answers and their timeline entries hold on both databases

DAY = 86400
CONTACT_MADE = "Kontakt aufgenommen"


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


def _topic(key: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == key))


def _partner(name_part: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.name.contains(name_part)))


def _referred(users, name="Tischlerei Brinkmann", partner="Westfälische", topic="it_security") -> Referral:
    case = consenting_case(users["scout"], name=name)
    advance(case, "check_done", users["scout"])
    refer(case, _partner(partner), _topic(topic), True, "Bitte zur Netzwerksicherheit beraten", users["scout"],
          move_on=True)
    db.session.commit()
    return db.session.scalar(select(Referral).where(Referral.case_id == case.id))


def _answer_events(referral: Referral) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == referral.case_id, CaseEvent.kind == "referral_answered").order_by(CaseEvent.id)))


def _answer_reminder(referral: Referral) -> Reminder:
    return db.session.scalar(select(Reminder).where(Reminder.unique_key == f"referral:{referral.id}:partner-answer"))


def _signed_days_ago(monkeypatch, days: float, referral: Referral) -> str:
    """Time travel: sign the link as if the mail had been sent `days` ago."""
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - days * DAY))
        return path_of(answers.make_url(referral))


def test_the_partner_mail_carries_the_report_links_and_a_report_lands_on_the_timeline(
        app, client, smtp_server, users, login):
    referral = _referred(users)
    partner = referral.partner
    deliver()
    text, html = bodies(received(smtp_server, "Vermittlung: Tischlerei Brinkmann", to=partner.email))
    for word in (CONTACT_MADE, "Projekt gestartet", "kein Bedarf / passt nicht"):
        assert word in text and word in html
    assert "Der Link gilt 90 Tage" in text
    url = re.search(re.escape(CONTACT_MADE) + r": (\S+)", text).group(1)
    assert url.startswith(BASE_URL + "/partner-answer/") and url.endswith("?a=contacted") and url in html

    page = client.get(path_of(url) + "?a=contacted")
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tischlerei Brinkmann" in shown and "IT-Sicherheit" in shown
    assert re.search(r'<input checked[^>]*value="contacted"', shown)  # the answer of the link is pre-selected
    # Opening the link (mail scanners do) changes nothing.
    assert _answer_events(referral) == [] and db.session.get(Referral, referral.id).answer is None

    done = client.post(path_of(url), data={"answer": "contacted", "note": "Termin am Montag vereinbart"})
    assert done.status_code == 200 and "Vielen Dank für Ihre Rückmeldung" in done.get_data(as_text=True)
    referral = db.session.get(Referral, referral.id)
    assert (referral.answer, referral.answer_note) == ("contacted", "Termin am Montag vereinbart")
    [event] = _answer_events(referral)
    assert event.actor_id is None and event.data == {"referral_id": referral.id, "answer": "contacted"}
    assert "Kontakt aufgenommen" in event.text and "Termin am Montag vereinbart" in event.text
    assert _answer_reminder(referral).state == "done"

    login("scout")
    case_page = client.get(f"/cases/{referral.case_id}").get_data(as_text=True)
    assert "Rückmeldung des Partners" in case_page and "Termin am Montag vereinbart" in case_page


def test_the_link_can_be_used_again_and_the_latest_answer_counts(app, client, users):
    referral = _referred(users)
    path = path_of(answers.make_url(referral))
    client.post(path, data={"answer": "contacted", "note": ""})
    page = client.get(path).get_data(as_text=True)
    assert "Ihre letzte Rückmeldung" in page and "Kontakt aufgenommen" in page
    client.post(path, data={"answer": "project_started", "note": "Angebot angenommen"})
    referral = db.session.get(Referral, referral.id)
    assert (referral.answer, referral.answer_note) == ("project_started", "Angebot angenommen")
    assert [e.data["answer"] for e in _answer_events(referral)] == ["contacted", "project_started"]


@pytest.mark.parametrize(("data", "message"), [
    ({"note": "ohne Auswahl"}, "Bitte wählen Sie eine Antwort."),
    ({"answer": "implemented"}, "Bitte wählen Sie eine Antwort."),  # the business's answer, not a partner's
    ({"answer": "no_need", "note": "x" * 5001}, "Höchstens 5000 Zeichen."),
])
def test_bad_input_on_the_report_page_is_refused_and_nothing_saved(app, client, users, data, message):
    referral = _referred(users)
    response = client.post(path_of(answers.make_url(referral)), data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).answer is None and _answer_events(referral) == []


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(app, client, users, monkeypatch):
    referral = _referred(users)
    expired = _signed_days_ago(monkeypatch, 91, referral)
    for response in (client.get(expired), client.post(expired, data={"answer": "contacted"})):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "Dieser Link ist abgelaufen" in page and "Es wurde nichts geändert." in page
    assert db.session.get(Referral, referral.id).answer is None and _answer_events(referral) == []
    still_valid = _signed_days_ago(monkeypatch, 89, referral)
    assert client.post(still_valid, data={"answer": "no_need"}).status_code == 200


def test_forged_links_are_refused_and_change_nothing(app, client, users):
    referral = _referred(users)
    good = path_of(answers.make_url(referral))
    signed_other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="procheck-link-partner-answer")
    business_link = path_of(links.make_url("answer", case_id=referral.case_id, business_id=1, a="implemented"))
    db.session.commit()
    forged = [
        good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),  # a changed signature
        "/partner-answer/" + business_link.rsplit("/", 1)[1],  # the business's answer link: another salt
        "/partner-answer/" + URLSafeTimedSerializer("another-key", salt="procheck-link-partner-answer").dumps(
            {"r": referral.id, "p": referral.partner_id}),
        "/partner-answer/" + signed_other.dumps({"r": 2**40, "p": referral.partner_id}),  # no such referral
        "/partner-answer/" + signed_other.dumps({"r": str(referral.id), "p": referral.partner_id}),
        "/partner-answer/" + signed_other.dumps([referral.id]),
        "/partner-answer/" + "A" * 500,
    ]
    for path in forged:
        response = client.post(path, data={"answer": "project_started"})
        assert response.status_code == 400, path
        assert "Dieser Link ist nicht gültig" in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).answer is None and _answer_events(referral) == []


def test_a_link_answers_only_its_own_referral(app, client, users):
    first = _referred(users)
    second = _referred(users, name="Elektro Kowalski", partner="Mittelstand-Digital Zentrum Handwerk",
                       topic="e_invoicing")
    page = client.get(path_of(answers.make_url(first))).get_data(as_text=True)
    assert "Tischlerei Brinkmann" in page and "Elektro Kowalski" not in page
    client.post(path_of(answers.make_url(first)), data={"answer": "project_started"})
    assert db.session.get(Referral, first.id).answer == "project_started"
    assert db.session.get(Referral, second.id).answer is None and _answer_events(second) == []
    # Signed by us for the first referral's partner but naming the second referral: refused.
    crossed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="procheck-link-partner-answer").dumps(
        {"r": second.id, "p": first.partner_id})
    assert client.post(f"/partner-answer/{crossed}", data={"answer": "no_need"}).status_code == 400
    assert db.session.get(Referral, second.id).answer is None


def test_the_link_of_a_withdrawn_referral_says_so_and_records_nothing(app, client, users):
    referral = _referred(users)
    path = path_of(answers.make_url(referral))
    withdraw(referral, users["scout"], "Falscher Partner gewählt")
    db.session.commit()
    response = client.post(path, data={"answer": "contacted"})
    assert response.status_code == 410
    assert "Diese Vermittlung wurde zurückgezogen" in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).answer is None and _answer_events(referral) == []


def test_a_second_referral_of_a_referred_case_mails_its_partner_with_its_own_link(app, smtp_server, users):
    first = _referred(users)
    case_id = first.case_id
    case = db.session.get(Case, case_id)
    refer(case, _partner("Mittelstand-Digital Zentrum Handwerk"), _topic("e_invoicing"), True, "", users["scout"],
          move_on=True)
    db.session.commit()
    deliver()
    partner = _partner("Mittelstand-Digital Zentrum Handwerk")
    text, _html = bodies(received(smtp_server, "Vermittlung: Tischlerei Brinkmann", to=partner.email))
    second = db.session.scalar(select(Referral).where(Referral.case_id == case_id, Referral.partner_id == partner.id))
    token = re.search(r"/partner-answer/([^?\s]+)", text).group(1)
    assert answers.open_link(token).id == second.id
    assert db.session.scalar(select(func.count()).select_from(Referral).where(Referral.case_id == case_id)) == 2
