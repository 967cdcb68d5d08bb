"""The administrator's mail texts: checked before saving (placeholders, syntax, internal attributes), rendered in a
sandbox, previewed for a sample case without leaving working links, used by the outbox when it sends to a real
SMTP server, and reset to the default."""

import re

import pytest
from sqlalchemy import func, select

from app.auth.audit import AuditEntry
from app.errors import DomainError
from app.extensions import db
from app.scheduling import mail_texts, outbox
from app.scheduling.dispatch import dispatch_once
from app.scheduling.mail_texts import Texts
from app.scheduling.models import LinkNonce, MailText, OutboxMessage
from app.timeutil import utcnow
from tests.factories import add_referral
from tests.outbox_worker import consenting_case

KEY = "how_is_it_going"


def defaults() -> Texts:
    return mail_texts.default_texts(KEY)


def post(client, action: str = "save", key: str = KEY, **parts):
    texts = defaults()._asdict() | parts
    return client.post(f"/admin/mail-texts/{key}", data={**texts, "action": action})


def stored() -> list[MailText]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailText)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_default_text_passes_the_check(app):
    for key in mail_texts.EDITABLE:
        mail_texts.check(key, mail_texts.default_texts(key))
    assert "digest" not in mail_texts.EDITABLE  # the scouts' internal digest is no follow-up mail


def test_the_editor_starts_from_the_default_and_previews_the_newest_case(client, login, users):
    case = consenting_case(users["scout"])
    login("admin")
    page = client.get(f"/admin/mail-texts/{KEY}").get_data(as_text=True)
    assert "Wie läuft es mit Ihrem Digitalisierungsvorhaben?" in page
    assert f"So würde die E-Mail für Fall {case.id} (Tischlerei Brinkmann) lauten" in page
    assert "Guten Tag Jana Brinkmann," in page
    assert client.get("/admin/mail-texts/digest").status_code == 404
    assert client.get("/admin/mail-texts/..%2Fauth").status_code == 404


def test_a_preview_leaves_no_working_link_behind(client, login, users):
    consenting_case(users["scout"])
    login("admin")
    before = count(LinkNonce)
    response = post(client, "preview", body_text="Hallo {{ business.name }}!\n{% for _k, word, url in answer_links %}"
                                                 "{{ word }}: {{ url }}\n{% endfor %}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hallo Tischlerei Brinkmann!" in page
    assert count(LinkNonce) == before and stored() == []
    token = re.search(r"/a/([\w.\-]+)", page).group(1)
    assert client.get(f"/a/{token}").status_code == 400  # signed, but its nonce was never stored: opens nothing


def test_a_saved_text_is_what_the_outbox_sends_to_the_smtp_server(app, client, login, users, smtp_server):
    case = consenting_case(users["scout"])
    admin = login("admin")
    response = post(client, subject="Kurze Frage an {{ business.name }}",
                    body_text="{{ greeting }}\n\nwie weit sind Sie?\n{% for _k, word, url in answer_links %}"
                              "{{ word }}: {{ url }}\n{% endfor %}",
                    body_html="<p>{{ greeting }}</p><p>Wie weit sind Sie, {{ business.name }}?</p>"
                              "{% for _k, word, url in answer_links %}<a href=\"{{ url }}\">{{ word }}</a>{% endfor %}")
    assert response.status_code == 302
    assert [(e.what, e.target, e.actor_id) for e in db.session.scalars(select(AuditEntry))] == [
        ("mail_text.saved", KEY, admin.id)]
    outbox.queue(recipient="info@brinkmann.example.org", audience="business", template_key=KEY,
                 due_at=utcnow(), unique_key="mail-text-test", case_id=case.id, context={"case_id": case.id})
    db.session.commit()

    assert dispatch_once().sent == 1
    received = smtp_server.handler.to("info@brinkmann.example.org")[0]
    assert received["Subject"] == "Kurze Frage an Tischlerei Brinkmann"
    text = received.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag Jana Brinkmann,\n\nwie weit sind Sie?") and "umgesetzt: http" in text
    html = received.get_body(("html",)).get_content()
    assert "<p>Wie weit sind Sie, Tischlerei Brinkmann?</p>" in html
    assert received["List-Unsubscribe"]  # the headers stay as the outbox makes them


def test_reset_goes_back_to_the_default_text(app, client, login, users, smtp_server):
    case = consenting_case(users["scout"])
    login("admin")
    post(client, subject="Eigener Betreff")
    assert client.post(f"/admin/mail-texts/{KEY}/reset").status_code == 302
    assert stored() == []
    assert [e.what for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "mail_text.saved", "mail_text.reset"]
    outbox.queue(recipient="info@brinkmann.example.org", audience="business", template_key=KEY,
                 due_at=utcnow(), unique_key="mail-text-reset", case_id=case.id, context={"case_id": case.id})
    db.session.commit()
    dispatch_once()
    assert smtp_server.messages[0]["Subject"].startswith("Wie läuft es mit Ihrem Digitalisierungsvorhaben?")


@pytest.mark.parametrize(("part", "source", "message"), [
    ("body_text", "Hallo {{ firma }}", "Unbekannter Platzhalter im Feld „Text“: firma."),
    ("subject", "{{ config.SECRET_KEY }}", "Unbekannter Platzhalter im Feld „Betreff“: config."),
    ("body_html", "<p>{% if greeting %}</p>", "Syntaxfehler im Feld „HTML“, Zeile 1"),
    ("body_text", "{{ greeting|shell }}", "Syntaxfehler im Feld „Text“, Zeile 1: No filter named &#39;shell&#39;"),
    ("body_text", "{{ ''.__class__ }}", "darf „__class__“ nicht verwenden"),
    ("body_text", "{{ greeting.__class__.__mro__[1].__subclasses__() }}", "darf „__"),
    ("body_text", "{{ case['__class__'] }}", "darf „__class__“ nicht verwenden"),
    ("body_text", "{{ scout.password_hash }}", "darf „password_hash“ nicht verwenden"),
    ("body_text", "{{ row.lease_token }}", "darf „lease_token“ nicht verwenden"),
    ("body_text", "", "Feld „Text“ darf nicht leer sein."),
    ("subject", "x" * 301, "Feld „Betreff“ darf höchstens 300 Zeichen haben."),
])
def test_bad_texts_are_refused_naming_the_problem_and_nothing_is_saved(client, login, users, part, source,
                                                                        message):
    consenting_case(users["scout"])
    login("admin")
    response = post(client, **{part: source})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored() == [] and count(AuditEntry) == 0


@pytest.mark.parametrize(("source", "message"), [
    ("{{ case.query }}", "Der Text verwendet etwas, das eine E-Mail nicht zeigen darf"),
    ("{{ case.metadata.tables }}", "Der Text verwendet etwas, das eine E-Mail nicht zeigen darf"),
    ("{{ business.__table__ }}", "darf „__table__“ nicht verwenden"),
    ("{% include 'auth/users.html' %}", "TemplateNotFound"),
    ("{{ range(10**9)|list }}", "lässt sich für Fall"),
])
def test_what_only_rendering_shows_is_refused_for_the_sample_case(client, login, users, source, message):
    consenting_case(users["scout"])
    login("admin")
    response = post(client, body_text=source)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored() == []


def test_a_malicious_text_that_reached_the_database_renders_nothing_and_is_not_sent(app, users, smtp_server):
    case = consenting_case(users["scout"])
    db.session.add(MailText(template_key=KEY, subject="{{ ''.__class__.__mro__ }}", body_text="{{ case.query }}",
                            body_html="x"))
    outbox.queue(recipient="info@brinkmann.example.org", audience="business", template_key=KEY,
                 due_at=utcnow(), unique_key="malicious", case_id=case.id, context={"case_id": case.id})
    db.session.commit()
    stats = dispatch_once()
    assert (stats.sent, stats.retried) == (0, 1) and smtp_server.messages == []
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.unique_key == "malicious"))
    assert "SecurityError" in row.last_error and row.body_text == ""


def test_a_partner_mail_previews_a_case_with_a_consented_referral(client, login, users):
    case = consenting_case(users["scout"])
    login("admin")
    response = post(client, "preview", key="referral_partner", **mail_texts.default_texts("referral_partner")._asdict())
    assert response.status_code == 422
    assert f"Fall {case.id} hat keine Vermittlung" in response.get_data(as_text=True)
    referral = add_referral(case)
    referral.consent = True
    db.session.commit()
    response = post(client, "preview", key="referral_partner", **mail_texts.default_texts("referral_partner")._asdict())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Tischlerei Brinkmann" in page and "hat keine Vermittlung" not in page


def test_an_unknown_case_for_the_preview_is_named(client, login, users):
    consenting_case(users["scout"])
    login("admin")
    for value in ("99999", "99999999999999999999", "abc"):
        response = client.post(f"/admin/mail-texts/{KEY}", data={**defaults()._asdict(), "case_id": value,
                                                                  "action": "save"})
        assert response.status_code == 422
        assert "Einen Fall mit dieser Nummer gibt es nicht." in response.get_data(as_text=True)
    assert stored() == []


def test_check_names_the_placeholders_the_mail_has(app):
    with pytest.raises(DomainError) as refused:
        mail_texts.check(KEY, defaults()._replace(body_text="{{ nix }}"))
    assert "answer_links" in refused.value.message and "greeting" in refused.value.message
