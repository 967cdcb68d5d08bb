"""The administrator's pages in Chromium with CSRF on: the mail text editor's preview shows the HTML mail with
its own inline styles (and the page allows no other), saving works, and the new admin pages pass axe-core."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.scheduling.models import MailText
from tests.browser.helpers import assert_accessible, log_in
from tests.factories import make_case


def test_the_admin_previews_and_saves_a_mail_text(page, live_server):
    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case_id = make_case(scout).id
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    base = live_server.url
    log_in(page, base, "admin")
    page.get_by_role("link", name="E-Mail-Texte").click()
    assert_accessible(page, "mail text list")
    page.get_by_role("link", name="„Wie läuft es?“ mit Ein-Klick-Antworten").click()
    page.get_by_label("Betreff").fill("Kurze Frage an {{ business.name }}")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.get_by_text(f"So würde die E-Mail für Fall {case_id}")).to_be_visible()
    expect(page.locator(".mail-preview dd").first).to_have_text("Kurze Frage an Tischlerei Brinkmann")
    frame = page.frame_locator("iframe.mail-html")
    heading = frame.get_by_role("heading", level=1, name="Wie läuft es?")
    expect(heading).to_be_visible()
    # The mail's inline style applies inside the sandboxed frame: its hash is in the page's policy.
    assert heading.evaluate("element => getComputedStyle(element).fontSize") == "22px"
    assert blocked == []
    assert_accessible(page, "mail text editor with preview")

    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Der E-Mail-Text ist gespeichert")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(MailText, "how_is_it_going").subject == "Kurze Frage an {{ business.name }}"


def test_the_region_trades_and_account_pages_pass_axe(page, live_server):
    base = live_server.url
    log_in(page, base, "admin")
    for link, path in (("Region", "/admin/municipalities"), ("Gewerke", "/admin/trades"), ("Konten", "/admin/users")):
        page.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(f"{base}{path}")
        assert_accessible(page, link)
    page.get_by_role("link", name="Region", exact=True).click()
    page.get_by_role("link", name="Gelsenkirchen").click()
    page.get_by_role("textbox", name="Postleitzahl").fill("4587")
    page.get_by_role("button", name="Postleitzahl hinzufügen").click()
    expect(page.get_by_text("Eine Postleitzahl hat genau fünf Ziffern.")).to_be_visible()
    assert_accessible(page, "municipality with an error")
    page.get_by_role("link", name="Konten", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Bearbeiten\s*: Sina Scout$")).click()
    assert_accessible(page, "account form")
    page.get_by_role("link", name="Konten", exact=True).click()
    page.get_by_role("link", name="Änderungsprotokoll").click()
    assert_accessible(page, "audit trail")
