"""The self-check link: the scout emails it, the business fills in the check without an account, stops,
resumes and submits; and the results mail with the content of the result page.

The mails go through the real outbox and dispatcher to an aiosmtpd server; the links are taken from
what arrived and followed with the test client.
"""

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from app.auth import sessions
from app.cases.models import CaseEvent
from app.checks import questionnaire as qn
from app.checks import services
from app.checks.models import Check
from app.checks.recommendations import recommend
from app.extensions import db
from app.partners.models import Partner
from app.privacy.erasure import erase
from app.reference.models import Topic
from app.scheduling import links
from app.scheduling.models import LinkNonce, OutboxMessage, Reminder
from app.timeutil import utcnow
from app.transactions import unit_of_work
from app.workshops.models import Workshop
from tests.check_helpers import start, step_data
from tests.factories import make_case
from tests.mailflow import (
    BASE_URL,
    advance,
    bodies,
    consenting_case,
    deliver,
    links_in,
    path_of,
    received,
)

DAY = 86400
STEPS = len(qn.load().dimensions)
REVIEW = STEPS + 1


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


@pytest.fixture
def sent(app, client, login, smtp_server, users):
    """A consenting business whose self-check mail has arrived; returns the case and the link's path."""
    case = consenting_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/self-check")
    assert response.status_code == 302
    assert deliver().sent == 1
    text, html = bodies(received(smtp_server, "Selbstausfüllen"))
    found = [url for url in links_in(text) if "/s/" in url]
    assert len(found) == 1 and found[0] in html
    assert "Keine E-Mails mehr erhalten" in text  # the unsubscribe link like every business mail
    with client.session_transaction() as session:
        session.clear()  # the business has no account
    return case, path_of(found[0])


def _step(client, link: str, step: int, go: str = "next", **overrides):
    return client.post(f"{link}/steps/{step}", data={**step_data(step, **overrides), "go": go})


def _check(case) -> Check | None:
    db.session.expire_all()
    return db.session.scalar(select(Check).where(Check.case_id == case.id).order_by(Check.id.desc()))


def snapshot(case_id: int) -> dict:
    db.session.expire_all()
    return {
        "events": db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)),
        "reminders": db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.case_id == case_id)),
        "checks": db.session.execute(select(Check.id, Check.status, Check.answers)).all(),
        "used": db.session.scalar(select(func.count()).select_from(LinkNonce).where(LinkNonce.used_at.is_not(None))),
    }


def test_the_business_fills_in_and_submits_the_check_through_the_link(client, sent, users):
    case, link = sent
    nothing_yet = snapshot(case.id)
    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"{link}/steps/1")
    page = client.get(f"{link}/steps/1").get_data(as_text=True)
    assert "Ihr Digitalisierungscheck" in page and "Zurück zum Fall" not in page
    assert snapshot(case.id) == nothing_yet  # opening the link writes nothing

    for step in range(1, STEPS + 1):
        response = _step(client, link, step)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    review = client.get(f"{link}/steps/{REVIEW}")
    assert review.status_code == 200 and "Alle Fragen sind beantwortet" in review.get_data(as_text=True)
    done = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"})
    assert done.status_code == 303 and done.headers["Location"].endswith(link), done.get_data(as_text=True)[:1000]
    result = client.get(link).get_data(as_text=True)
    assert "Vielen Dank" in result and "Hier ist Ihr Ergebnis" in result

    check = _check(case)
    assert check.status == "completed" and check.kind == "t0" and check.created_by_id is None
    assert check.overall_score is not None
    assert db.session.scalar(select(LinkNonce.used_at).where(LinkNonce.purpose == "self_check")) is not None
    kinds = {e.kind: e for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))}
    assert kinds["self_check_submitted"].actor_id is None
    assert kinds["check_completed"].actor_id is None
    assert kinds["self_check_sent"].actor_id == users["scout"].id
    reminder = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id,
                                                        Reminder.title == "Selbstcheck besprechen"))
    assert reminder is not None and reminder.state == "open" and reminder.assignee_id == case.owner_id
    assert reminder.due_at <= utcnow()
    assert case.state == "contacted"  # the business does not move the case; the scout discusses it first

    # The business sees its result at once, as the scout's result page shows it, under the chamber's name.
    assert '<span class="brand">Handwerkskammer Münster</span>' in result
    assert f"Stufe {check.level} von 5" in result and '<svg class="chart-svg"' in result
    assert "Punkte je Handlungsfeld" in result and "Was Sie zuerst angehen könnten" in result
    top = recommend(qn.load(check.questionnaire_version), check.answers)[0]
    assert f"<h3>{top.gap.item.text}</h3>" in result and top.suggestions[0].text in result
    assert 'type="checkbox"' not in result and "Zurück zum Fall" not in result and "/workshops/" not in result
    assert "Lücke =" not in result and "(Version" not in result

    # The scout sees it on the timeline.
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = sessions.open_now(users["scout"]), True
    shown = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Selbstcheck abgesendet" in shown and "Selbstcheck besprechen" in shown


def test_the_business_can_stop_and_resume_with_the_same_link(client, sent):
    case, link = sent
    assert _step(client, link, 1, implementation="4", relevance="1").status_code == 302
    draft = _check(case)
    assert draft.status == "draft" and draft.created_by_id is None and draft.current_step == 2

    # Later, in a new browser: the same link continues at step 2, with step 1's answers kept.
    client.delete_cookie("session")
    again = client.get(link)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"{link}/steps/2")
    first = client.get(f"{link}/steps/1").get_data(as_text=True)
    item = qn.load().dimensions[0].items[0].key
    assert _checked_value(first, f"q_{item}") == "4" and _checked_value(first, f"r_{item}") == "1"
    assert _check(case).answers[item] == {"implementation": 4, "relevance": 1}
    assert db.session.scalar(select(LinkNonce.used_at).where(LinkNonce.purpose == "self_check")) is None

    # Submitting before everything is answered is refused and changes nothing.
    before = snapshot(case.id)
    refused = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"})
    assert refused.status_code == 422
    assert snapshot(case.id) == before


def test_a_scouts_unfinished_draft_is_not_shown_to_the_business_nor_changed_by_it(client, sent, users):
    case, link = sent
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = sessions.open_now(users["scout"]), True
    scout_check = start(client, case)
    assert client.post(f"/checks/{scout_check.id}/steps/1",
                       data={**step_data(1, "4", "4"), "go": "next"}).status_code == 302
    with client.session_transaction() as session:
        session.clear()

    opened = client.get(link)
    assert opened.headers["Location"].endswith(f"{link}/steps/1")  # not the scout's resume point
    page = client.get(f"{link}/steps/1").get_data(as_text=True)
    assert [tag for tag in re.findall(r"<input[^>]*>", page) if "checked" in tag and 'type="radio"' in tag] == []

    assert _step(client, link, 1, implementation="1", relevance="2").status_code == 302
    db.session.expire_all()
    scouts, business = db.session.get(Check, scout_check.id), _check(case)
    assert business.id != scouts.id and business.created_by_id is None
    item = qn.load().dimensions[0].items[0].key
    assert scouts.answers[item] == {"implementation": 4, "relevance": 4}  # the scout's draft is as it was
    assert business.answers[item] == {"implementation": 1, "relevance": 2}

    # The scout sees both drafts on the case, the business's marked as its self-check.
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = sessions.open_now(users["scout"]), True
    panel = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert panel.count("nicht abgeschlossen") == 2 and panel.count("(Selbstcheck des Betriebs)") == 1


def _checked_value(page: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


@pytest.mark.postgres
def test_a_link_used_by_the_submit_cannot_be_used_again(client, sent):
    case, link = sent
    for step in range(1, STEPS + 1):
        _step(client, link, step)
    assert client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"}).status_code == 303
    before = snapshot(case.id)
    for response in (_step(client, link, 1, implementation="0"),
                     client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"}),
                     client.post(f"{link}/steps/1/autosave", data=step_data(1))):
        assert response.status_code == 410
    refused = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"}).get_data(as_text=True)
    assert "bereits abgesendet" in refused and f'<a href="{link}">Ihr Ergebnis anzeigen</a>' in refused
    for step in (1, REVIEW):  # a step page leads to the result, and the result has no form
        assert client.get(f"{link}/steps/{step}").headers["Location"].endswith(link)
    assert "<form" not in client.get(link).get_data(as_text=True)
    assert snapshot(case.id) == before


def _result_shown(page: str) -> tuple[str, str]:
    """The level and the chart a result page shows."""
    level = re.search(r"Stufe \d von 5[^<]*", page).group(0)
    chart = re.search(r'<svg class="chart-svg".*?</svg>', page, re.S).group(0)
    return level, chart


@pytest.mark.postgres
def test_reloading_or_reopening_the_submitted_link_shows_its_result_and_nothing_else(app, client, sent, users):
    case, link = sent
    _answer_everything(client, link)
    result = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"}, follow_redirects=True)
    assert result.status_code == 200 and "Vielen Dank" in result.get_data(as_text=True)
    shown = _result_shown(result.get_data(as_text=True))
    check = _check(case)
    assert shown[0].startswith(f"Stufe {check.level} von 5") and check.link_nonce is not None
    before = snapshot(case.id)

    client.delete_cookie("session")  # later, in another browser: the link from the email again
    again = client.get(link)
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and _result_shown(page) == shown
    assert "Hier ist Ihr Ergebnis" in page and "bereits abgesendet" not in page
    assert 'type="radio"' not in page and "<form" not in page
    assert snapshot(case.id) == before  # showing it writes nothing

    # Another business's link shows its own check (a fresh one: the questionnaire), never this result.
    other = consenting_case(users["scout"], name="Malerbetrieb Sonnenschein")
    other_link = path_of(links.make_url("self_check", case_id=other.id, business_id=other.business_id))
    db.session.commit()
    assert client.get(other_link).headers["Location"].endswith(f"{other_link}/steps/1")
    for step in range(1, STEPS + 1):
        assert _step(client, other_link, step, implementation="4", relevance="4").status_code == 302
    assert client.post(f"{other_link}/steps/{REVIEW}", data={"go": "complete"}).status_code == 303
    theirs = _result_shown(client.get(other_link).get_data(as_text=True))
    assert theirs != shown and theirs[0].startswith(f"Stufe {_check(other).level} von 5")
    assert _result_shown(client.get(link).get_data(as_text=True)) == shown


def test_a_link_used_before_it_named_its_check_or_erased_since_says_submitted(app, client, sent, users):
    case, link = sent
    _answer_everything(client, link)
    assert client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"}).status_code == 303
    assert "Hier ist Ihr Ergebnis" in client.get(link).get_data(as_text=True)

    with unit_of_work():
        erase([case.business_id], users["lead"], "Löschung auf Antrag")
    assert _check(case).link_nonce is None
    gone = client.get(link)
    page = gone.get_data(as_text=True)
    assert gone.status_code == 410 and "bereits abgesendet" in page and "Ihr Ergebnis anzeigen" not in page
    assert "Stufe" not in page


def _answer_everything(client, link: str) -> None:
    for step in range(1, STEPS + 1):
        assert _step(client, link, step).status_code == 302


def test_a_submit_refused_late_undoes_what_it_wrote(client, sent, monkeypatch):
    case, link = sent
    _answer_everything(client, link)
    before = snapshot(case.id)

    def completed_meanwhile(*_args, **_kwargs):
        raise services.AlreadyCompleted()

    # The timeline entry and the reminder are flushed before completing the check is refused.
    monkeypatch.setattr(services, "complete", completed_meanwhile)
    response = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"})
    assert response.status_code == 410 and "bereits abgesendet" in response.get_data(as_text=True)
    assert snapshot(case.id) == before


def test_a_link_used_meanwhile_by_another_submit_changes_nothing(client, sent, monkeypatch):
    case, link = sent
    _answer_everything(client, link)
    before = snapshot(case.id)

    def used(_row):
        raise links.LinkError("used")

    monkeypatch.setattr(links, "use", used)  # the other click's submit used it after this one opened it
    response = client.post(f"{link}/steps/{REVIEW}", data={"go": "complete"})
    assert response.status_code == 410 and "bereits abgesendet" in response.get_data(as_text=True)
    assert snapshot(case.id) == before


@pytest.mark.postgres
def test_an_expired_or_forged_link_gets_a_clear_page_and_changes_nothing(app, client, sent, monkeypatch):
    case, link = sent
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - 31 * DAY))
        expired = path_of(links.make_url("self_check", case_id=case.id, business_id=case.business_id))
    db.session.commit()
    before = snapshot(case.id)
    for response in (client.get(expired), _step(client, expired, 1)):
        assert response.status_code == 410
        assert "Dieser Link ist abgelaufen" in response.get_data(as_text=True)
    token = link.rsplit("/", 1)[1]
    forged = link[: -len(token)] + token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    answer_token = path_of(links.make_url("answer", case_id=case.id, business_id=case.business_id)).rsplit("/", 1)[1]
    db.session.commit()
    for path in (forged, "/s/not-a-token", f"/s/{answer_token}"):  # another purpose's token never opens it
        for response in (client.get(path), _step(client, path, 1)):
            assert response.status_code == 400
            assert "Dieser Link ist nicht gültig" in response.get_data(as_text=True)
    assert snapshot(case.id) == before


def test_no_self_check_mail_without_consent(app, client, login, users):
    case = make_case(users["scout"])  # no consent to emails on record
    login("scout")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Selbstcheck-Link senden" in page and "nicht in E-Mails eingewilligt" in page
    response = client.post(f"/cases/{case.id}/self-check", follow_redirects=True)
    assert "Kein Selbstcheck-Link gesendet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(LinkNonce)) == 0


def test_the_results_mail_shows_the_top_gaps_with_measures_workshops_and_partners(app, smtp_server, users):
    topic = db.session.scalar(select(Topic).where(Topic.key == "it_security"))
    topics = list(db.session.scalars(select(Topic).where(Topic.key.in_(("it_security", "cloud_backup",
                                                                        "data_protection")))))
    db.session.add(Workshop(title="Sicher im Netz für Handwerksbetriebe", topic_id=topic.id, place="Gelsenkirchen",
                            starts_at=utcnow() + timedelta(days=20), description=""))
    partner = Partner(name="Sicherheitsberatung Ruhr GmbH", kind="consultant", city="Gladbeck", topics=topics,
                      email="info@sicherheitsberatung.example.org")
    db.session.add(partner)
    db.session.commit()
    case = consenting_case(users["scout"])
    advance(case, "check_done", users["scout"])
    deliver()

    text, html = bodies(received(smtp_server, "Ihr Ergebnis im Digitalisierungscheck"))
    gaps = text.split("Was Sie zuerst angehen sollten – die größten Lücken:")[1]
    questionnaire = qn.load("v1")
    security = next(d for d in questionnaire.dimensions if d.key == "security")
    for body in (text, html):
        assert "Gesamtergebnis: 64,3 von 100 Punkten" in body
        assert security.items[0].text in body  # a top gap (nothing of IT security is implemented)
        assert security.items[0].measures[0] in body  # with its suggested measure
        assert "Sicher im Netz für Handwerksbetriebe" in body
        assert "Sicherheitsberatung Ruhr GmbH" in body
    assert gaps.count("Handlungsfeld:") == 5  # the top 5, as on the result page
    shown = recommend(questionnaire, outbox_answers(case))  # exactly what the result page lists
    assert [r.gap.item.text for r in shown] == [line.split(". ", 1)[1] for line in gaps.splitlines()
                                                if re.match(r"^\d\. ", line)]
    for r in shown:
        for partner in r.partners:
            assert partner.name in text


def outbox_answers(case) -> dict:
    return db.session.scalar(select(Check.answers).where(Check.case_id == case.id, Check.status == "completed"))
