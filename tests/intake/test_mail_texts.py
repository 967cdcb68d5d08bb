"""The public request's two mails are ordinary mail texts: the administrator edits them in the editor (the opt-in
previewed for a sample request), a request then receives the edited text over SMTP, and only the confirmation (the
business has consented by then) carries an unsubscribe link that works."""

import re

from sqlalchemy import select

from app.cases.models import Business
from app.extensions import db
from app.intake.models import CheckRequest
from app.scheduling.models import MailText, OutboxMessage
from tests.intake.conftest import EMAIL, confirm_path, count, latest_request, send
from tests.mailflow import BASE_URL, bodies, deliver, path_of, received
from tests.outbox_worker import consenting_case

OPT_IN = "/admin/mail-texts/intake_opt_in"
EDITED = {
    "subject": "Kurz bestätigen: Ihre Anfrage für {{ request.name }}",
    "body_text": "{{ greeting }}\n\nbitte bestätigen Sie kurz: {{ confirm_url }}\n\n"
                 "Ohne Bestätigung löschen wir Ihre Angaben nach {{ valid_days }} Tagen.\n",
    "body_html": '<p>{{ greeting }}</p><p><a href="{{ confirm_url }}">Bestätigen</a></p>',
}


def test_the_opt_in_is_previewed_for_a_sample_request_that_is_never_stored(client, login, users):
    consenting_case(users["scout"])
    login("admin")
    assert "Online-Anfrage: Bitte bestätigen (Double-Opt-in)" in client.get("/admin/mail-texts").get_data(as_text=True)
    page = client.get(OPT_IN).get_data(as_text=True)
    assert "Guten Tag Jana Brinkmann," in page and "Digitalisierungscheck für Tischlerei Brinkmann" in page
    link = re.search(rf"{re.escape(BASE_URL)}/anfrage/bestaetigen/[\w.\-]+", page).group(0)
    assert "Keine E-Mails mehr erhalten" not in page  # no consent yet, so nothing to unsubscribe from
    assert count(CheckRequest) == 0
    assert client.get(path_of(link)).status_code == 410  # the sample request is gone: its link opens nothing


def test_an_edited_opt_in_is_what_a_public_request_receives(app, client, login, users, smtp_server):
    consenting_case(users["scout"])  # the sample the text is rendered for before it is saved
    login("admin")
    assert client.post(OPT_IN, data={**EDITED, "action": "save"}).status_code == 302
    assert db.session.get(MailText, "intake_opt_in").subject == EDITED["subject"]

    visitor = app.test_client()
    assert send(visitor).status_code == 302
    pending = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template_key == "intake_opt_in"))
    login("lead")  # the outbox page shows the waiting mail with the saved text
    assert "Kurz bestätigen: Ihre Anfrage für Tischlerei Kranz" in client.get(
        f"/outbox/{pending.id}").get_data(as_text=True)

    deliver()
    message = received(smtp_server, "Kurz bestätigen: Ihre Anfrage für Tischlerei Kranz", to=EMAIL)
    text, html = bodies(message)
    assert "Guten Tag Karl Kranz," in text and "nach 7 Tagen" in text
    assert "Bitte bestätigen Sie Ihre Anfrage zum Digitalisierungscheck" not in text  # not the default text
    assert message["List-Unsubscribe"] is None and "Keine E-Mails mehr erhalten" not in text
    link = re.search(rf"{re.escape(BASE_URL)}/anfrage/bestaetigen/\S+", text).group(0)
    assert f'href="{link}"' in html
    assert visitor.post(path_of(link)).status_code == 200  # the edited mail's link confirms the request
    assert latest_request().case_id is not None


def test_a_placeholder_the_opt_in_does_not_have_is_refused_in_german(client, login, users):
    login("admin")
    for source, unknown in (("Hallo {{ kundennummer }}", "kundennummer"),
                            ("Ihr Prozessscout {{ scout.name }}", "scout")):  # no case yet, so no scout
        response = client.post(OPT_IN, data={**EDITED, "body_text": source, "action": "save"})
        assert response.status_code == 422
        assert f"Unbekannter Platzhalter im Feld „Text“: {unknown}. Verfügbar sind:" in response.get_data(as_text=True)
    assert db.session.scalars(select(MailText)).all() == []


def test_the_confirmation_carries_an_unsubscribe_link_that_unsubscribes(app, client, users, smtp_server):
    assert send(client).status_code == 302
    deliver()
    opt_in_text, _html = bodies(received(smtp_server, "Bitte bestätigen Sie Ihre Anfrage", to=EMAIL))
    assert "ignorieren Sie diese E-Mail einfach" in opt_in_text and "Keine E-Mails mehr erhalten" not in opt_in_text
    assert client.post(confirm_path(latest_request())).status_code == 200
    deliver()

    message = received(smtp_server, "Ihre Anfrage zum Digitalisierungscheck ist angekommen", to=EMAIL)
    text, html = bodies(message)
    unsubscribe = re.search(r"Keine E-Mails mehr erhalten: (\S+)", text).group(1)
    assert unsubscribe.startswith(f"{BASE_URL}/u/") and message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert f'href="{unsubscribe}"' in html
    assert client.post(path_of(unsubscribe)).status_code == 200
    db.session.expire_all()
    business = db.session.scalar(select(Business).where(Business.email == EMAIL))
    assert business.unsubscribed_at is not None
