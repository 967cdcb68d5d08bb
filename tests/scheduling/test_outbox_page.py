"""The outbox page for the team lead: list, filter, retry and cancel; failed mails on the case page."""

from datetime import timedelta

from sqlalchemy import func, select

from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling import outbox, queries
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import LinkNonce, OutboxMessage
from app.timeutil import utcnow
from tests.factories import make_case


def _mail(case=None, status="pending", due_in=timedelta(0), key=None, template="check_results", error="",
          recipient="info@brinkmann.example.org") -> OutboxMessage:
    row = outbox.queue(recipient=recipient, audience="business" if case else "staff", template_key=template,
                       due_at=utcnow() + due_in, unique_key=key or f"test:{utcnow().timestamp()}:{status}",
                       case_id=case.id if case else None, context={"case_id": case.id} if case else {})
    row.status, row.last_error = status, error
    if status == "sent":
        row.sent_at = utcnow()
    row.attempts = 1 if status in ("sent", "failed") else 0
    db.session.commit()
    return row


def _consenting_case(users, name="Tischlerei Brinkmann"):
    case = make_case(users["scout"], name)
    case.business.email_consent, case.business.consent_at, case.business.consent_source = True, utcnow(), "Telefon"
    db.session.commit()
    return case


def test_the_lead_sees_failed_and_due_mails_first_and_all_newest_due_first(client, login, users):
    case = _consenting_case(users)
    _mail(case, "sent", -timedelta(days=3), key="a")
    _mail(case, "failed", -timedelta(days=1), key="b", error="550 Mailbox unknown", template="workshop_thanks")
    _mail(case, "pending", timedelta(days=400), key="c", template="recheck_invitation")
    _mail(case, "pending", -timedelta(hours=2), key="d", template="how_is_it_going")
    _mail(case, "cancelled", -timedelta(days=2), key="e", template="referral_info",
          error="Der Fall hat „Vermittelt“ verlassen.")
    login("lead")
    page = client.get("/outbox").get_data(as_text=True)
    assert "Postausgang" in page and "Offen: 3" in page and "Alle: 5" in page and "Fehlgeschlagen: 1" in page
    assert page.index("Dank, Unterlagen und nächste Schritte") < page.index("„Wie läuft es?“") < page.index(
        "Einladung zum Folge-Check")  # failed, then the overdue waiting one, then the one due next year
    assert "Check-Ergebnis mit Empfehlungen" not in page  # sent: in "Alle"
    assert "Fehler: 550 Mailbox unknown" in page and "Letzter Fehler" not in page
    assert f'href="/cases/{case.id}">Tischlerei Brinkmann</a>' in page
    everything = client.get("/outbox?status=all").get_data(as_text=True)
    assert everything.index("Einladung zum Folge-Check") < everything.index("Check-Ergebnis mit Empfehlungen")
    assert "Abgebrochen, weil: Der Fall hat „Vermittelt“ verlassen." in everything
    failed = client.get("/outbox?status=failed").get_data(as_text=True)
    assert "Dank, Unterlagen und nächste Schritte" in failed and "Einladung zum Folge-Check" not in failed


def test_the_lead_reads_a_sent_mail_and_a_preview_of_a_waiting_one(client, login, users):
    case = _consenting_case(users)
    sent = _mail(case, "sent", -timedelta(days=1), key="s")
    sent.subject, sent.body_text = "Ihr Ergebnis", "Guten Tag Jana Brinkmann,\nhier Ihr Ergebnis.\n"
    sent.body_html = '<p style="color:#6b1414">Guten Tag Jana Brinkmann, <a href="https://x.example">Ergebnis</a></p>'
    waiting = _mail(case, "pending", timedelta(days=3), key="w", template="how_is_it_going")
    db.session.commit()
    login("lead")
    page = client.get(f"/outbox/{sent.id}").get_data(as_text=True)
    assert "<h1>Ihr Ergebnis</h1>" in page and "hier Ihr Ergebnis." in page and "Vorschau" not in page
    assert f'src="/outbox/{sent.id}/html"' in page
    frame = client.get(f"/outbox/{sent.id}/html")
    assert frame.get_data(as_text=True) == sent.body_html
    assert "script-src" not in frame.headers["Content-Security-Policy"]
    preview = client.get(f"/outbox/{waiting.id}").get_data(as_text=True)
    assert "Vorschau" in preview and "Guten Tag Jana Brinkmann" in preview
    db.session.expire_all()
    row = db.session.get(OutboxMessage, waiting.id)
    assert (row.status, row.body_html, row.subject) == ("pending", "", "")  # rendered afresh when it goes out
    assert db.session.scalar(select(func.count()).select_from(LinkNonce)) == 0  # the preview signed nothing


def test_the_outbox_is_paginated(client, login, users):
    case = _consenting_case(users)
    for i in range(30):
        _mail(case, "sent", -timedelta(hours=i), key=f"k{i}")
    login("lead")
    assert "Seite 1 von 2" in client.get("/outbox?status=all").get_data(as_text=True)
    assert "Seite 2 von 2" in client.get("/outbox?status=all&page=2").get_data(as_text=True)


def test_retry_puts_a_failed_mail_back_due_now_and_it_is_delivered(client, login, users, smtp_server):
    row = _mail(None, "failed", -timedelta(days=1), key="digest:x", template="digest",
                recipient=users["scout"].email, error="550 no such user")
    row.context = {"user_id": users["scout"].id, "date": utcnow().date().isoformat()}
    db.session.commit()
    login("lead")
    response = client.post(f"/outbox/{row.id}/retry?status=failed")
    assert response.status_code == 302 and response.headers["Location"] == "/outbox?status=failed"
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert abs(row.due_at - utcnow()) < timedelta(minutes=1)
    assert dispatch_once().sent == 1 and smtp_server.messages[0]["To"] == users["scout"].email
    assert db.session.scalars(select(CaseEvent.kind).where(CaseEvent.kind == "email_retried")).all() == []


def test_retry_and_cancel_write_the_case_timeline(client, login, users):
    case = _consenting_case(users)
    failed = _mail(case, "failed", key="f", error="550 Mailbox unknown")
    pending = _mail(case, "pending", timedelta(days=5), key="p", template="recheck_invitation")
    login("lead")
    client.post(f"/outbox/{failed.id}/retry")
    client.post(f"/outbox/{pending.id}/cancel")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, pending.id).status == "cancelled"
    assert db.session.get(OutboxMessage, pending.id).last_error == "Von der Teamleitung abgebrochen"
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)
                               .order_by(CaseEvent.id)).all()
    assert kinds[-2:] == ["email_retried", "email_cancelled"]
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "E-Mail erneut gesendet" in page and "E-Mail nicht gesendet" in page
    assert "Einladung zum Folge-Check: Von der Teamleitung abgebrochen" in page
    # A cancelled mail that was never sent can be sent again.
    client.post(f"/outbox/{pending.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, pending.id).status == "pending"


def test_a_sent_mail_is_neither_sent_again_nor_cancelled(client, login, users):
    case = _consenting_case(users)
    sent = _mail(case, "sent", key="s")
    login("lead")
    page = client.get("/outbox").get_data(as_text=True)
    assert "Erneut senden" not in page and ">Abbrechen<" not in page
    retried = client.post(f"/outbox/{sent.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "Erneut senden lässt sich nur eine fehlgeschlagene" in retried
    cancelled = client.post(f"/outbox/{sent.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "Abbrechen lässt sich nur eine wartende oder fehlgeschlagene E-Mail." in cancelled
    db.session.expire_all()
    assert db.session.get(OutboxMessage, sent.id).status == "sent"
    assert db.session.scalars(select(CaseEvent.kind).where(CaseEvent.kind.like("email_%"))).all() == []


def test_a_business_mail_without_consent_is_not_retried(client, login, users):
    case = make_case(users["scout"])  # no consent recorded
    failed = _mail(case, "failed", key="f", error="550 Mailbox unknown")
    login("lead")
    assert "Erneut senden" not in client.get("/outbox").get_data(as_text=True)
    page = client.post(f"/outbox/{failed.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "Diese E-Mail kann nicht gesendet werden: " in page
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed.id).status == "failed"


def test_the_case_page_lists_failed_mails_with_their_reason(client, login, users):
    case = _consenting_case(users)
    _mail(case, "failed", key="f", error="550 5.1.1 Mailbox unknown", template="workshop_thanks")
    _mail(case, "sent", key="s")
    login("scout")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "E-Mails, die nicht zugestellt werden konnten" in page
    assert "Dank, Unterlagen und nächste Schritte an info@brinkmann.example.org" in page
    assert "550 5.1.1 Mailbox unknown" in page and "Die Teamleitung kann sie im Postausgang" in page
    login("lead")
    assert 'href="/outbox?status=failed"' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    other = make_case(users["scout"], "Bäckerei Overkamp")
    assert "nicht zugestellt" not in client.get(f"/cases/{other.id}").get_data(as_text=True)


def test_the_status_counts_stop_at_their_cap(client, login, users, monkeypatch):
    case = _consenting_case(users)
    for i in range(3):
        _mail(case, "sent", -timedelta(hours=i), key=f"s{i}")
    _mail(case, "failed", -timedelta(hours=5), key="f")
    monkeypatch.setattr(queries, "OUTBOX_COUNT_CAP", 2)
    login("lead")
    page = client.get("/outbox").get_data(as_text=True)
    assert "Gesendet: 2+" in page and "Fehlgeschlagen: 1" in page and "Alle: 2+" in page
