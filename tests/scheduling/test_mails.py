"""The emails a business (and a partner) gets, as a real SMTP server receives them.

Each mail is queued by the real follow-up rules (a case moved through the workflow), sent by
the real dispatcher to an aiosmtpd server on loopback, and read back from what arrived.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases import workflow
from app.cases.models import CaseEvent
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reference.models import Topic
from app.timeutil import utcnow
from app.workshops.models import Attendance, Workshop
from tests.factories import add_measure
from tests.mailflow import (
    BASE_URL,
    BUSINESS_EMAIL,
    advance,
    bodies,
    consenting_case,
    deliver,
    links_in,
    make_due,
    outbox_row,
    received,
    scored_check,
)

CHAMBER = "Handwerkskammer Münster"


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


def _topic(key: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == key))


def _workshop(title: str, topic: str, days: int) -> Workshop:
    workshop = Workshop(title=title, topic_id=_topic(topic).id, place="Gelsenkirchen, Bildungszentrum",
                        starts_at=utcnow() + timedelta(days=days), description="Austausch unter Betrieben")
    db.session.add(workshop)
    db.session.commit()
    return workshop


def test_check_results_mail_has_the_headers_both_bodies_and_the_weakest_dimensions(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "check_done", users["scout"])
    stats = deliver()

    assert stats.sent == 1  # the results now; the workshop mail waits ten business days
    row = outbox_row(case, "check_results")
    assert row.status == "sent" and row.sent_at is not None
    message = received(smtp_server, "Ihr Ergebnis im Digitalisierungscheck")
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["To"] == BUSINESS_EMAIL
    assert message["Subject"] == f"Ihr Ergebnis im Digitalisierungscheck – {CHAMBER}"
    assert message["Message-ID"] == row.message_id
    assert message["Reply-To"] == users["scout"].email
    unsubscribe = row.context["unsubscribe_url"]
    assert unsubscribe.startswith(f"{BASE_URL}/u/")
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    text, html = bodies(message)
    for body in (text, html):
        assert "Guten Tag Jana Brinkmann," in body
        assert "Gesamtergebnis: 64,3 von 100 Punkten" in body
        assert "Fortgeschrittener" in body  # the maturity level's name from the questionnaire
        assert "IT-Sicherheit und Datenschutz" in body and "Büro, Angebote und Rechnungen" in body
        assert "Datensicherung" in body  # a suggested measure of the weakest dimension
        assert CHAMBER in body and "Bismarckallee 1, 48151 Münster" in body
        assert "Keine E-Mails mehr erhalten" in body and unsubscribe in body
        assert "Zweck dieser E-Mail: Ergebnis Ihres Digitalisierungschecks" in body
    # The top gaps as on the result page: IT security (nothing implemented) first, each with its measures.
    gaps = text.split("Was Sie zuerst angehen sollten – die größten Lücken:")[1]
    assert gaps.index("1. ") < gaps.index("Handlungsfeld: IT-Sicherheit und Datenschutz")
    assert "Empfohlene Maßnahmen:" in gaps and "Kommende Workshops zum Thema:" in gaps
    assert "Partner mit dieser Expertise:" in gaps
    assert "Handlungsfeld: Strategie und Geschäftsmodell" not in gaps
    assert f'<a href="{unsubscribe}"' in html and "<html lang=\"de\">" in html
    assert "http://" not in html and "<img" not in html and "<link" not in html  # no external assets
    assert links_in(text) == [unsubscribe]


def test_workshop_mail_offers_upcoming_workshops_of_the_weakest_topics_only(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "check_done", users["scout"])
    _workshop("Sicher im Netz: Backups und Passwörter", "it_security", 12)
    _workshop("E-Rechnung ab 2027", "e_invoicing", 20)
    _workshop("E-Rechnung: Rückblick", "e_invoicing", -5)  # already past
    _workshop("KI im Büro", "ai", 15)  # "Daten und KI" is not among the weakest
    deliver()
    make_due(case, "workshop_suggestions")
    deliver()

    text, html = bodies(received(smtp_server, "Workshops für Ihren nächsten Digitalisierungsschritt"))
    for body in (text, html):
        assert "Sicher im Netz: Backups und Passwörter" in body and "E-Rechnung ab 2027" in body
        assert "E-Rechnung: Rückblick" not in body and "KI im Büro" not in body
        assert "Gelsenkirchen, Bildungszentrum" in body and "Keine E-Mails mehr erhalten" in body
    assert text.index("Sicher im Netz") < text.index("E-Rechnung ab 2027")  # soonest first


def test_workshop_thanks_names_the_attended_workshop_and_the_next_steps(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "workshop_attended", users["scout"])
    make_due(case, "workshop_thanks")
    deliver()

    message = received(smtp_server, "Danke für Ihre Teilnahme am Workshop")
    attended = db.session.scalar(select(Attendance).where(Attendance.case_id == case.id)).workshop
    text, html = bodies(message)
    for body in (text, html):
        assert f"„{attended.title}“" in body and "nächsten Schritte" in body
        assert message["List-Unsubscribe"] and "Keine E-Mails mehr erhalten" in body


def test_referral_mails_tell_the_business_whom_to_reach_and_the_partner_what_it_needs(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "check_done", users["scout"])
    partner = db.session.scalar(select(Partner).where(Partner.name == "Mittelstand-Digital Zentrum Handwerk"))
    db.session.add(Referral(case_id=case.id, partner_id=partner.id, topic_id=_topic("e_invoicing").id, consent=True,
                            note="Möchte E-Rechnungen direkt aus der Handwerkersoftware versenden.",
                            created_by_id=users["scout"].id))
    db.session.commit()
    workflow.move(case, "referred", users["scout"])
    db.session.commit()
    deliver()

    text, html = bodies(received(smtp_server, "Ihr Kontakt für den nächsten Schritt"))
    for body in (text, html):
        for shown in (partner.name, "E-Rechnung", partner.email, partner.phone, partner.website):
            assert shown in body
        assert "Keine E-Mails mehr erhalten" in body

    to_partner = received(smtp_server, "Vermittlung: Tischlerei Brinkmann (Tischler)", to=partner.email)
    assert "List-Unsubscribe" not in to_partner  # a partner is no subscriber
    assert to_partner["Reply-To"] == users["scout"].email
    text, html = bodies(to_partner)
    for body in (text, html):
        for shown in ("Tischlerei Brinkmann", "Tischler", "45879 Gelsenkirchen", "Jana Brinkmann", "0209 123456",
                      BUSINESS_EMAIL, "E-Rechnung", "direkt aus der Handwerkersoftware", users["scout"].name):
            assert shown in body, shown
        assert "Keine E-Mails mehr erhalten" not in body and "zugestimmt" in body


def test_how_is_it_going_mail_has_three_one_click_answers_and_the_unsubscribe_link(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "referred", users["scout"])
    make_due(case, "how_is_it_going")
    deliver()

    message = received(smtp_server, "Wie läuft es mit Ihrem Digitalisierungsvorhaben?")
    text, html = bodies(message)
    answer_links = [url for url in links_in(text) if "/a/" in url]
    assert len(answer_links) == 3
    for word, url in zip(("umgesetzt", "in Arbeit", "brauche Unterstützung"), answer_links, strict=True):
        assert f"{word}:\n{url}" in text
        assert f'<a href="{url}"' in html and f">{word}</a>" in html
    assert message["List-Unsubscribe"] == f"<{outbox_row(case, 'how_is_it_going').context['unsubscribe_url']}>"


def test_recheck_invitation_names_what_was_implemented_and_the_first_score(app, smtp_server, users):
    case = consenting_case(users["scout"])
    scored_check(case)
    workflow.move(case, "check_done", users["scout"])
    add_measure(case)
    workflow.move(case, "implemented", users["scout"])
    db.session.commit()
    make_due(case, "recheck_invitation")
    deliver()

    text, html = bodies(received(smtp_server, "Einladung zum Re-Check"))
    for body in (text, html):
        assert "E-Rechnungen empfangen und archivieren" in body and "64,3 von 100 Punkten" in body
        assert "antworten Sie einfach auf diese E-Mail oder rufen Sie uns an" in body.replace("Antworten", "antworten")


def test_a_business_without_consent_gets_nothing_and_the_timeline_says_why(app, smtp_server, users, client, login):
    case = consenting_case(users["scout"])
    case.business.email_consent = False
    db.session.commit()
    advance(case, "check_done", users["scout"])

    assert outbox_row(case, "check_results") is None  # not planned (and cancelled): not planned at all
    assert deliver().sent == 0 and smtp_server.messages == []
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind == "email_cancelled")).all()
    expected = "Keine E-Mail geplant: Check-Ergebnis mit Empfehlungen. Der Betrieb hat nicht in E-Mails eingewilligt."
    assert expected in [e.text for e in events] and len(events) == 2  # the results and the workshop suggestions
    login("scout")
    assert expected in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_nothing_is_sent_after_an_unsubscribe_even_for_mails_already_queued(app, smtp_server, users):
    case = consenting_case(users["scout"])
    advance(case, "check_done", users["scout"])
    # Unsubscribed meanwhile by another way than the link (e.g. by phone): the dispatcher checks again.
    case.business.unsubscribed_at = utcnow()
    db.session.commit()
    assert outbox_row(case, "check_results").status == "pending"

    stats = deliver()
    assert stats.sent == 0 and stats.cancelled == 1 and smtp_server.messages == []
    assert outbox_row(case, "check_results").status == "cancelled"
