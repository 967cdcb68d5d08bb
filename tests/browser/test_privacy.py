"""The team lead in the browser: from the case's consent history to the export and the confirmed erasure, and the
record of processing and the retention dry run; every page axe-clean (WCAG 2.1 AA)."""

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.browser.helpers import assert_accessible, log_in
from tests.privacy.seeding import CONTACT, NAME, new_business


def test_lead_exports_and_anonymises_a_business_after_typing_its_name(page, live_server):
    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case_id = new_business(scout).id
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/cases/{case_id}")
    consents = page.locator("#consents-panel-heading").locator("..")
    expect(consents).to_contain_text("E-Mails aus dem Programm")
    expect(consents).to_contain_text(f"Telefonat mit {CONTACT}")
    consents.get_by_role("link", name="Datenschutz: Auskunft oder Anonymisierung").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Datenschutz: {NAME}")
    assert_accessible(page, "data-protection page")

    page.get_by_role("link", name="Als druckbare Seite öffnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auskunft über gespeicherte Daten (Art. 15 DSGVO)")
    expect(page.get_by_role("heading", name="Einwilligungen")).to_be_visible()
    expect(page.get_by_text(CONTACT, exact=True).first).to_be_visible()
    assert_accessible(page, "export page")
    page.go_back()

    page.get_by_label("Zur Bestätigung den Namen des Betriebs eingeben").fill("Zörbelwerk")
    page.get_by_role("button", name="Betrieb anonymisieren").click()
    expect(page.get_by_text("Bitte geben Sie den Namen des Betriebs genau so ein")).to_be_visible()
    assert_accessible(page, "refused erasure")
    page.get_by_label("Zur Bestätigung den Namen des Betriebs eingeben").fill(NAME)
    page.get_by_role("button", name="Betrieb anonymisieren").click()
    expect(page.get_by_text("Der Betrieb wurde anonymisiert.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datenschutz: Anonymisierter Betrieb")

    page.get_by_role("link", name="Datenschutz", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)")
    assert_accessible(page, "record of processing")
    page.get_by_role("link", name="Löschfristen: Probelauf").click()
    expect(page.get_by_text("Die Regel greift noch nicht")).to_be_visible()
    assert_accessible(page, "retention dry run")
    page.get_by_role("link", name="Datenschutz-Protokoll").click()
    expect(page.get_by_role("table")).to_contain_text("Anonymisiert")
    assert_accessible(page, "log")
