"""Signed single-use links in received mails: answers and unsubscribing, followed with the test client.

Opening a link (GET) changes nothing; confirming (POST) records it once. Forged, expired and
reused links get a clear German page and change nothing.
"""

import re
import threading
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from app.cases import workflow
from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.scheduling import links, responses
from app.scheduling.models import LinkNonce, OutboxMessage, Reminder
from app.timeutil import utcnow
from tests.mailflow import (
    BASE_URL,
    advance,
    bodies,
    consenting_case,
    deliver,
    link_after,
    make_due,
    outbox_row,
    path_of,
    received,
)

pytestmark = pytest.mark.postgres  # single-use nonces, expiry

DAY = 86400


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


@pytest.fixture
def survey(app, smtp_server, users) -> tuple[Case, str]:
    """A referred case whose "How is it going?" mail has arrived; returns the case and the mail's text."""
    case = consenting_case(users["scout"])
    advance(case, "referred", users["scout"])
    make_due(case, "how_is_it_going")
    deliver()
    text, _html = bodies(received(smtp_server, "Wie läuft es"))
    return case, text


def snapshot(case_id: int) -> dict:
    """Everything a link could change."""
    db.session.expire_all()
    return {
        "events": db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)),
        "reminders": sorted(db.session.execute(select(Reminder.id, Reminder.state).where(
            Reminder.case_id == case_id)).all()),
        "used": db.session.scalar(select(func.count()).select_from(LinkNonce).where(LinkNonce.used_at.is_not(None))),
        "outbox": sorted(db.session.execute(select(OutboxMessage.id, OutboxMessage.status)).all()),
        "unsubscribed": db.session.scalars(select(Business.unsubscribed_at)).all(),
    }


def _events(case: Case, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


def _reminders(case: Case) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.case_id == case.id).order_by(Reminder.id)))


def _checked(page: str) -> list[str]:
    return [m for m in re.findall(r"<input[^>]*>", page) if "checked" in m]


def test_opening_an_answer_link_shows_it_preselected_and_changes_nothing(client, survey):
    case, text = survey
    before = snapshot(case.id)
    response = client.get(path_of(link_after(text, "brauche Unterstützung")))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Antwort senden" in page and "Tischlerei Brinkmann" in page
    for word in ("umgesetzt", "in Arbeit", "brauche Unterstützung"):
        assert word in page
    checked = _checked(page)
    assert len(checked) == 1 and 'value="need_help"' in checked[0]
    assert snapshot(case.id) == before


def test_asking_for_help_lands_in_the_timeline_with_a_reminder_and_cancels_the_no_answer_reminder(
        client, login, survey, users):
    case, text = survey
    waiting = [r for r in _reminders(case) if r.until_answer and r.state == "open"]
    assert len(waiting) == 1  # "Nachfassen: keine Antwort" from the referred rule

    response = client.post(path_of(link_after(text, "brauche Unterstützung")), data={"answer": "need_help"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vielen Dank für Ihre Antwort" in page
    assert "meldet sich bald bei Ihnen" in page

    db.session.expire_all()
    (answered,) = _events(case, "business_answered")
    assert answered.actor_id is None and "brauche Unterstützung" in answered.text
    assert db.session.get(Reminder, waiting[0].id).state == "cancelled"
    (help_wanted,) = [r for r in _reminders(case) if r.title == "Betrieb bittet um Unterstützung"]
    assert help_wanted.state == "open" and help_wanted.assignee_id == users["scout"].id
    assert help_wanted.due_at <= utcnow()
    assert db.session.get(Case, case.id).next_due_at == help_wanted.due_at

    login("scout")
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Betrieb hat geantwortet" in case_page and "brauche Unterstützung" in case_page


def test_the_business_may_change_the_preselected_answer_and_in_progress_needs_no_reminder(client, survey):
    case, text = survey
    reminders_before = len(_reminders(case))
    response = client.post(path_of(link_after(text, "umgesetzt")), data={"answer": "in_progress"})

    assert response.status_code == 200 and "„in Arbeit“" in response.get_data(as_text=True)
    db.session.expire_all()
    (answered,) = _events(case, "business_answered")
    assert answered.data["answer"] == "in_progress" and "in Arbeit" in answered.text
    assert len(_reminders(case)) == reminders_before  # no new reminder
    assert all(r.state == "cancelled" for r in _reminders(case) if r.until_answer)


def test_posting_without_an_answer_asks_for_one_and_changes_nothing(client, survey):
    case, text = survey
    before = snapshot(case.id)
    response = client.post(path_of(link_after(text, "in Arbeit")), data={})
    assert response.status_code == 422 and "Bitte wählen Sie eine Antwort." in response.get_data(as_text=True)
    assert snapshot(case.id) == before


def _help_reminders(case: Case) -> list[str]:
    return [r.state for r in _reminders(case) if r.title == "Betrieb bittet um Unterstützung"]


def test_the_business_may_change_its_answer_with_the_mails_links_and_the_latest_counts(client, survey):
    case, text = survey
    assert client.post(path_of(link_after(text, "umgesetzt")), data={"answer": "implemented"}).status_code == 200

    # Another link of the same mail still works: it shows the latest answer and offers the change.
    help_link = path_of(link_after(text, "brauche Unterstützung"))
    page = client.get(help_link).get_data(as_text=True)
    assert "Ihre letzte Antwort vom" in page and "„umgesetzt“" in page and "es zählt die neueste Antwort" in page
    assert 'value="need_help"' in _checked(page)[0]

    page = client.post(help_link, data={"answer": "need_help"}).get_data(as_text=True)
    assert "Vielen Dank für Ihre Antwort" in page and "bis zum" in page
    db.session.expire_all()
    first, changed = sorted(_events(case, "business_answered"), key=lambda e: e.id)
    assert first.data["answer"] == "implemented" and changed.data["answer"] == "need_help"
    assert changed.text == ("Der Betrieb hat seine Antwort auf „Wie läuft es?“ von „umgesetzt“ in "
                            "„brauche Unterstützung“ geändert.")
    assert _help_reminders(case) == ["open"]

    # The same answer again (a second click, a reload) changes nothing: no second entry, no second reminder.
    before = snapshot(case.id)
    page = client.post(path_of(link_after(text, "in Arbeit")), data={"answer": "need_help"}).get_data(as_text=True)
    assert "lag bereits vor; es hat sich nichts geändert" in page
    after = snapshot(case.id)
    assert after == before
    assert _help_reminders(case) == ["open"]

    # Changing away from "need help" withdraws the support reminder; asking again makes a new one.
    client.post(help_link, data={"answer": "in_progress"})
    db.session.expire_all()
    assert _help_reminders(case) == ["cancelled"]
    open_due = [r.due_at for r in _reminders(case) if r.state == "open"]  # e.g. the partner's answer, 20 days on
    assert db.session.get(Case, case.id).next_due_at == min(open_due, default=None)
    client.post(help_link, data={"answer": "need_help"})
    db.session.expire_all()
    assert _help_reminders(case) == ["cancelled", "open"]
    assert [e.data["answer"] for e in sorted(_events(case, "business_answered"), key=lambda e: e.id)] == [
        "implemented", "need_help", "in_progress", "need_help"]


def test_a_changed_answer_needs_a_link_that_still_lives(app, client, survey, monkeypatch):
    case, _text = survey
    link = _signed_days_ago(monkeypatch, 89, "answer", case, a="in_progress")
    assert client.post(link, data={"answer": "in_progress"}).status_code == 200  # on its 89th day
    app.config["LINK_ANSWER_MAX_AGE_DAYS"] = 88  # as on its 91st day
    before = snapshot(case.id)
    response = client.post(link, data={"answer": "need_help"})
    assert response.status_code == 410 and "Dieser Link ist abgelaufen" in response.get_data(as_text=True)
    assert snapshot(case.id) == before


def test_a_forged_link_gets_a_clear_page_and_changes_nothing(client, survey, smtp_server):
    case, text = survey
    genuine = path_of(link_after(text, "umgesetzt"))
    unsubscribe = path_of(received(smtp_server, "Wie läuft es")["List-Unsubscribe"].strip("<>"))
    token = genuine.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    before = snapshot(case.id)

    for path in (f"/a/{tampered}", "/a/nonsense", "/a/" + unsubscribe.rsplit("/", 1)[1], "/u/" + token):
        for response in (client.get(path), client.post(path, data={"answer": "need_help"})):
            page = response.get_data(as_text=True)
            assert response.status_code == 400, path
            assert "Dieser Link ist nicht gültig" in page and "Es wurde nichts geändert." in page
    assert snapshot(case.id) == before


def test_a_signed_link_whose_nonce_is_unknown_counts_as_forged(app):
    token = links.serializer("answer").dumps({"n": "x" * 43, "a": "implemented"})
    with pytest.raises(links.LinkError) as raised:
        links.open_token("answer", token)
    assert raised.value.kind == "forged" and raised.value.status == 400


def _signed_days_ago(monkeypatch, days: float, purpose: str, case: Case, **data) -> str:
    """Time travel: sign a link as if it had been sent `days` ago."""
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - days * DAY))
        url = links.make_url(purpose, case_id=case.id, business_id=case.business_id, **data)
    db.session.commit()
    return path_of(url)


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(app, client, survey, monkeypatch):
    case, _text = survey
    answer = _signed_days_ago(monkeypatch, 91, "answer", case, a="need_help")
    unsubscribe = _signed_days_ago(monkeypatch, 366, "unsubscribe", case)
    before = snapshot(case.id)

    for path in (answer, unsubscribe):
        for response in (client.get(path), client.post(path, data={"answer": "need_help"})):
            page = response.get_data(as_text=True)
            assert response.status_code == 410, path
            assert "Dieser Link ist abgelaufen" in page and "Es wurde nichts geändert." in page
    assert snapshot(case.id) == before

    # The lifetimes are settings: the same answer link opens when answers may be older.
    app.config["LINK_ANSWER_MAX_AGE_DAYS"] = 120
    assert client.get(answer).status_code == 200
    assert client.get(_signed_days_ago(monkeypatch, 300, "unsubscribe", case)).status_code == 200


def test_opening_the_unsubscribe_link_explains_it_and_changes_nothing(client, survey, smtp_server):
    case, _text = survey
    before = snapshot(case.id)
    url = received(smtp_server, "Wie läuft es")["List-Unsubscribe"].strip("<>")
    response = client.get(path_of(url))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Abmeldung bestätigen" in page and "keine E-Mails mehr" in page and "Tischlerei Brinkmann" in page
    assert snapshot(case.id) == before


def test_one_click_unsubscribe_works_without_cookies_or_csrf_token_and_stops_every_mail(
        app, smtp_server, users):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: only this view is exempt
    case = consenting_case(users["scout"])
    other = Case(business_id=case.business_id, owner_id=users["scout2"].id)
    db.session.add(other)
    workflow.open_case(other, users["scout2"])
    db.session.commit()
    advance(case, "check_done", users["scout"])
    deliver()
    url = received(smtp_server, "Ihr Ergebnis")["List-Unsubscribe"].strip("<>")
    assert outbox_row(case, "workshop_suggestions").status == "pending"

    # What a mail provider sends (RFC 8058): a POST with this form field, no cookies, no token.
    provider = app.test_client(use_cookies=False)
    response = provider.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Sie sind abgemeldet" in response.get_data(as_text=True)

    db.session.expire_all()
    assert db.session.get(Business, case.business_id).unsubscribed_at is not None
    queued = outbox_row(case, "workshop_suggestions")
    assert queued.status == "cancelled" and queued.last_error
    for each in (case, other):
        (entry,) = _events(each, "unsubscribed")
        assert entry.actor_id is None
    assert _events(case, "unsubscribed")[0].data["cancelled"] == 1

    # Even when its day comes, the cancelled mail stays unsent; the link cannot be used twice.
    make_due(case, "workshop_suggestions")
    assert deliver().sent == 0 and len(smtp_server.messages) == 1
    again = provider.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 410 and "bereits verwendet" in again.get_data(as_text=True)


def test_the_answer_form_needs_its_csrf_token(app, survey):
    app.config["WTF_CSRF_ENABLED"] = True
    case, text = survey
    path = path_of(link_after(text, "in Arbeit"))
    browser = app.test_client()
    before = snapshot(case.id)
    assert browser.post(path, data={"answer": "in_progress"}).status_code == 400
    assert snapshot(case.id) == before

    page = browser.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(path, data={"answer": "in_progress", "csrf_token": token})
    assert response.status_code == 200 and len(_events(case, "business_answered")) == 1


def test_two_clicks_on_need_help_at_once_make_one_entry_and_one_reminder(app, survey):
    """Two requests, each with its own database session, open the same link and answer at once."""
    case, text = survey
    token = path_of(link_after(text, "brauche Unterstützung")).rsplit("/", 1)[1]
    case_id = case.id
    db.session.remove()
    opened = threading.Barrier(2)
    outcomes: list[bool] = []

    def click() -> None:
        with app.app_context(), app.test_request_context():
            try:
                row, _payload = links.open_token("answer", token)
                opened.wait()
                outcomes.append(responses.record_answer(row, "need_help"))
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == [False, True]
    stored = db.session.get(Case, case_id)
    assert len(_events(stored, "business_answered")) == 1
    assert _help_reminders(stored) == ["open"]
