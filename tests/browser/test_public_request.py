"""A business requests the free check on the public page in Chromium, confirms it through the link of the mail the
real dispatcher sent to an aiosmtpd server, and the case appears in the assigned scout's caseload. axe-core finds no
WCAG 2.1 AA violation on the public pages (the form, its errors, the answers, the confirmation, the privacy notice,
the link errors)."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.intake import assignment
from app.reference.models import Municipality
from app.transactions import unit_of_work
from tests.browser.helpers import STATE_DE, assert_accessible, log_in
from tests.conftest import ACCOUNTS
from tests.mailflow import bodies, deliver, received

EMAIL = "info@kranz.example.org"



def assert_fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def fill_request(page: Page, postcode: str = "45879") -> None:
    page.get_by_label("Name des Betriebs").fill("Tischlerei Kranz")
    page.get_by_label("Gewerk").select_option(label="Tischler")
    page.get_by_label("Postleitzahl des Betriebs").fill(postcode)
    page.get_by_label("Zahl der Beschäftigten (freiwillig)").fill("7")
    page.get_by_label("Ansprechperson").fill("Karl Kranz")
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Was möchten Sie in Ihrem Betrieb verbessern?").fill("Angebote und Rechnungen digital.")
    page.get_by_role("checkbox", name=re.compile("Ich willige ein")).check()


def _assign_gelsenkirchen_to_scout2(live_server) -> None:
    with live_server.app.app_context():
        town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout2"][0]))
        with unit_of_work():
            assignment.assign(town.id, scout)
        db.session.remove()


def _mailed_link(live_server, mail_server) -> str:
    with live_server.app.app_context():
        deliver()
        db.session.remove()
    _text, html = bodies(received(mail_server, "Bitte bestätigen Sie Ihre Anfrage", to=EMAIL))
    link = re.search(r'<a href="([^"]+)"[^>]*>Anfrage bestätigen</a>', html).group(1)
    assert link.startswith(f"{live_server.url}/anfrage/bestaetigen/")
    return link


def test_a_business_requests_the_check_confirms_by_mail_and_the_scout_sees_the_case(live_server, mail_server,
                                                                                   new_page):
    live_server.app.config["INTAKE_MIN_FILL_SECONDS"] = 0  # the fill time is tested over HTTP; a robot types fast
    _assign_gelsenkirchen_to_scout2(live_server)
    business = new_page(768, 1024)  # a tablet
    business.goto(f"{live_server.url}/anfrage")
    expect(business.get_by_role("heading", level=1)).to_have_text("Kostenlosen Digitalisierungscheck anfragen")
    assert_accessible(business, "request form")
    assert_fits(business)

    # Sent empty: the summary takes the focus and its links lead to the fields.
    business.get_by_role("button", name="Anfrage senden").click()
    summary = business.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Bitte geben Sie den Namen Ihres Betriebs ein.")
    assert_accessible(business, "request form with errors")
    summary.get_by_role("link", name="Bitte geben Sie den Namen Ihres Betriebs ein.").click()
    expect(business.get_by_label("Name des Betriebs")).to_be_focused()
    expect(business.get_by_label("Name des Betriebs")).to_have_accessible_description(
        "Bitte geben Sie den Namen Ihres Betriebs ein.")

    fill_request(business)
    business.get_by_role("button", name="Anfrage senden").click()
    expect(business.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihre Anfrage")
    assert_accessible(business, "sent page")

    link = _mailed_link(live_server, mail_server)
    business.goto(link)
    expect(business.get_by_role("heading", level=1)).to_have_text("Anfrage bestätigen")
    expect(business.get_by_text("45879 Gelsenkirchen")).to_be_visible()
    assert_accessible(business, "confirm page")
    business.get_by_role("button", name="Anfrage jetzt bestätigen").click()
    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihre Anfrage")
    assert_accessible(business, "confirmed page")

    business.goto(link)  # used up
    expect(business.get_by_role("heading", level=1)).to_have_text("Diese Anfrage ist bereits bestätigt")
    assert_accessible(business, "link error page")

    scout = new_page()
    log_in(scout, live_server.url, "scout2")
    scout.goto(f"{live_server.url}/cases")
    row = scout.get_by_role("row").filter(has_text="Tischlerei Kranz")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(STATE_DE["contacted"])
    row.get_by_role("link", name=re.compile("Tischlerei Kranz")).click()
    timeline = scout.get_by_role("region", name="Verlauf")
    expect(timeline.get_by_role("listitem").filter(has_text="Check online angefragt")).to_have_count(1)
    expect(scout.get_by_text("Online-Anfrage: Termin für den Check vereinbaren").first).to_be_visible()

    with live_server.app.app_context():
        deliver()
        db.session.remove()
    confirmation, _html = bodies(received(mail_server, "ist angekommen", to=EMAIL))
    assert "Ihr Prozessscout Sven Scout meldet sich" in confirmation


def test_the_other_public_pages_pass_axe(live_server, new_page):
    live_server.app.config["INTAKE_MIN_FILL_SECONDS"] = 0
    page = new_page()
    page.goto(f"{live_server.url}/datenschutz")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Datenschutzhinweise zur Anfrage des Digitalisierungschecks")
    assert_accessible(page, "privacy notice")

    page.goto(f"{live_server.url}/anfrage")
    page.get_by_role("link", name="Datenschutzhinweise").click()
    expect(page).to_have_url(f"{live_server.url}/datenschutz")

    page.goto(f"{live_server.url}/anfrage")
    fill_request(page, postcode="10115")
    page.get_by_role("button", name="Anfrage senden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Das Angebot gilt regional")
    assert_accessible(page, "outside the region")

    live_server.app.config["INTAKE_MAX_PER_ADDRESS"] = 0
    page.goto(f"{live_server.url}/anfrage")
    fill_request(page)
    page.get_by_role("button", name="Anfrage senden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zu viele Anfragen")
    assert_accessible(page, "too many requests")

    page.goto(f"{live_server.url}/anfrage/bestaetigen/forged")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link ist nicht gültig")
    assert_accessible(page, "forged link")
