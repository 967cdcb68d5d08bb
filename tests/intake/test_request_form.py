"""The public request page: what a business sees, what a valid request stores, and what is refused (bad input,
outside the region, honeypot, too fast, too many) without storing or sending anything."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import LoginThrottle
from app.extensions import db
from app.intake import spam
from app.reference.models import Municipality
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.intake.conftest import EMAIL, form, latest_request, send, stored

NOTHING = {"requests": 0, "businesses": 0, "cases": 0, "mails": 0}


def test_the_form_is_german_needs_no_login_and_loads_nothing_from_another_host(client):
    page = client.get("/anfrage")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="de">' in html and "Kostenlosen Digitalisierungscheck anfragen" in html
    assert "Ich willige ein, dass die Handwerkskammer Münster die Angaben dieses Formulars speichert" in html
    assert 'href="/datenschutz"' in html
    assert '<label for="postcode">Postleitzahl des Betriebs</label>' in html
    # the honeypot is out of sight and out of the tab order, the fill time is signed into the form
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label for="website">', html)
    assert re.search(r'<input[^>]*id="website"[^>]*tabindex="-1"', html)
    assert re.search(r'<input[^>]*id="shown_at"[^>]*type="hidden"[^>]*value="[^"]+"', html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_privacy_notice_names_the_controller_the_consent_text_and_the_deletion(client):
    html = client.get("/datenschutz").get_data(as_text=True)
    assert "Datenschutzhinweise zur Anfrage des Digitalisierungschecks" in html
    assert "Bismarckallee 1, 48151 Münster" in html
    assert "Fassung 2026-12" in html and "Ich willige ein" in html
    assert "nicht innerhalb von 7 Tagen bestätigt wird, löschen wir" in html
    assert "Art. 77 DSGVO" in html


def test_a_valid_request_is_stored_unconfirmed_and_the_opt_in_mail_queued(client):
    response = send(client, employees="", phone="")
    assert response.status_code == 302 and response.headers["Location"].endswith("/anfrage/gesendet")
    assert "Bitte bestätigen Sie Ihre Anfrage" in client.get("/anfrage/gesendet").get_data(as_text=True)

    row = latest_request()
    gelsenkirchen = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    assert (row.name, row.contact_name, row.email, row.postcode, row.municipality_id) == (
        "Tischlerei Kranz", "Karl Kranz", EMAIL, "45879", gelsenkirchen.id)
    assert row.phone == "" and row.employees is None
    assert row.consent_text_version == "2026-12" and row.confirmed_at is None
    assert abs(row.expires_at - (row.created_at + timedelta(days=7))) < timedelta(seconds=1)
    mail = db.session.scalar(select(OutboxMessage))
    assert (mail.recipient, mail.template_key, mail.status, mail.case_id) == (EMAIL, "intake_opt_in", "pending", None)
    assert stored() == {"requests": 1, "businesses": 0, "cases": 0, "mails": 1}  # no business before the opt-in


def test_pasted_blanks_and_line_breaks_are_tidied_and_the_address_stored_in_lower_case(client):
    send(client, email="  Info@KRANZ.example.org ", name=" Tischlerei\r\n  Kranz ", postcode=" 45879",
         message="  Erste Zeile\r\nzweite Zeile  ")
    row = latest_request()
    assert (row.email, row.name, row.postcode) == (EMAIL, "Tischlerei Kranz", "45879")
    assert row.message == "Erste Zeile\r\nzweite Zeile"  # a message keeps its lines


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Bitte geben Sie den Namen Ihres Betriebs ein."),
    ("email", "kranz-at-example", "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
    ("postcode", "4587", "Eine Postleitzahl hat genau fünf Ziffern."),
    ("trade_id", "0", "Bitte wählen Sie das Gewerk."),
    ("trade_id", "99999999999999999999", "Bitte wählen Sie das Gewerk."),
    ("trade_id", "123456", "Keine gültige Auswahl."),
    ("employees", "zwölf", "Bitte geben Sie die Zahl der Beschäftigten als ganze Zahl ein, z. B. 12."),
    ("phone", "call me", "Bitte geben Sie eine Telefonnummer nur mit Ziffern ein"),
    ("message", "x" * 2001, "Höchstens 2000 Zeichen."),
    ("consent", "", "Bitte stimmen Sie zu, damit wir Ihre Anfrage bearbeiten dürfen."),
])
def test_bad_input_gets_a_german_message_linked_from_the_summary_and_stores_nothing(client, field, value, message):
    data = form(**{field: value})
    if not value:
        del data[field]
    response = client.post("/anfrage", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "<title>Fehler: Kostenlosen Digitalisierungscheck anfragen" in html
    # the summary takes the focus and links to the field, whose error is announced with it
    assert re.search(r'<div class="flash flash-error error-summary" id="error-summary" tabindex="-1" autofocus', html)
    assert f'<a href="#{field}">' in html
    assert re.search(rf'<(input|select|textarea)[^>]*aria-describedby="{field}-error"', html)
    assert f'id="{field}-error"' in html
    assert stored() == NOTHING


def test_a_postcode_outside_the_region_gets_a_friendly_answer_and_nothing_is_stored(client):
    response = send(client, postcode="10115")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Das Angebot gilt regional" in html and "die Postleitzahl 10115 liegt außerhalb" in html
    assert "Kreis Recklinghausen" in html and "Von Ihren Angaben wurde nichts gespeichert." in html
    assert stored() == NOTHING
    assert db.session.scalar(select(LoginThrottle.key)) is None  # not even counted


def test_a_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(client):
    response = send(client, website="https://cheap-pills.example")
    assert response.status_code == 302 and response.headers["Location"].endswith("/anfrage/gesendet")
    assert stored() == NOTHING


@pytest.mark.parametrize(("shown", "message"), [
    (lambda: spam.stamp(), "schneller abgeschickt, als ein Mensch es ausfüllt"),
    (lambda: spam.stamp(utcnow() - timedelta(days=2)), "zu lange geöffnet"),
    (lambda: "eyJ0IjoxfQ.forged", "zu lange geöffnet"),
    (lambda: "", "zu lange geöffnet"),
])
def test_a_form_sent_too_fast_or_with_a_forged_or_stale_time_is_shown_again_and_stores_nothing(
        app, client, shown, message):
    response = send(client, shown_at=shown())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'value="Tischlerei Kranz"' in html  # what was typed stays
    assert stored() == NOTHING
    # the form carries a fresh time: sent again after the minimum, it goes through
    fresh = re.search(r'id="shown_at" name="shown_at" type="hidden" value="([^"]+)"', html).group(1)
    assert spam.fill_time_problem(fresh, utcnow() + timedelta(seconds=app.config["INTAKE_MIN_FILL_SECONDS"])) is None


def test_too_many_requests_from_one_address_get_429_and_store_nothing_more(app, client):
    app.config["INTAKE_MAX_PER_ADDRESS"] = 2
    for n in range(2):
        assert send(client, email=f"betrieb{n}@example.org").status_code == 302
    refused = send(client, email="betrieb3@example.org")
    assert refused.status_code == 429
    assert "Zu viele Anfragen" in refused.get_data(as_text=True)
    assert stored()["requests"] == 2 and stored()["mails"] == 2
    assert send(client, "198.51.100.7", email="betrieb3@example.org").status_code == 302  # another client
    # an IPv6 client is one /64: another address of the same network is the same client
    assert send(client, "2001:db8:1:1::1", email="v6a@example.org").status_code == 302
    assert send(client, "2001:db8:1:1::2", email="v6b@example.org").status_code == 302
    assert send(client, "2001:db8:1:1:ffff::3", email="v6c@example.org").status_code == 429


def test_one_recipient_cannot_be_flooded_from_many_addresses(app, client):
    for n in range(3):
        assert send(client, f"203.0.113.{n}").status_code == 302
    assert send(client, "203.0.113.99").status_code == 429
    assert stored()["mails"] == 3
    keys = db.session.scalars(select(LoginThrottle.key)).all()
    assert keys and not any("@" in key for key in keys)  # the recipient is counted by a digest, not stored


def test_invalid_forms_do_not_use_up_the_allowance(app, client):
    app.config["INTAKE_MAX_PER_ADDRESS"] = 1
    for _ in range(3):
        assert send(client, postcode="12").status_code == 422
    assert send(client).status_code == 302
