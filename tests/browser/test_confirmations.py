"""Confirmations where the user is: after a move the message stands in the changed section with the focus on it and
says which emails went out or were not planned; the business form fills the municipality in from the postcode; the
navigation marks the current page. On a tablet (768×1024), axe-clean."""

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.scheduling.models import OutboxMessage
from app.scheduling.rules import seed_default_rules
from app.timeutil import utcnow
from app.transactions import unit_of_work
from tests.browser.helpers import STATE_DE, log_in, state_badge
from tests.browser.test_tablet_layout import TABLET, assert_accessible, assert_nothing_clipped
from tests.factories import add_check, make_case

FOCUSED_MESSAGE = "document.activeElement && document.activeElement.matches('.flash[role=status]') " \
                  "? document.activeElement.textContent : null"


def _checked_cases(live_server) -> tuple[int, int]:
    """Two cases with a completed check, still "contacted": one business consented to emails, one did not."""
    with live_server.app.app_context():
        with unit_of_work():
            seed_default_rules()
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        consenting = make_case(scout, "Tischlerei Brinkmann")
        silent = make_case(scout, "Dachdeckerei Schulte")
        with unit_of_work():
            business = consenting.business
            business.email_consent, business.consent_at, business.consent_source = True, utcnow(), "Telefon"
        add_check(consenting)
        add_check(silent)
        return consenting.id, silent.id


def _move_to_check_done(page: Page) -> None:
    page.get_by_role("button", name=f"Auf „{STATE_DE['check_done']}“ setzen").click()
    expect(state_badge(page)).to_have_text(STATE_DE["check_done"])


def test_a_move_confirms_next_to_its_section_and_says_which_emails_went_out(new_page, live_server):
    consenting_id, silent_id = _checked_cases(live_server)
    page = new_page(**TABLET)
    log_in(page, live_server.url, "scout")

    page.goto(f"{live_server.url}/cases/{consenting_id}")
    _move_to_check_done(page)
    steps = page.locator("section", has=page.get_by_role("heading", name="Nächste Schritte"))
    expect(steps.get_by_role("status").first).to_have_text(f"Der Fall steht jetzt auf „{STATE_DE['check_done']}“.")
    emails = steps.get_by_role("status").nth(1)
    expect(emails).to_contain_text("E-Mail an info@brinkmann.example.org geht in der nächsten Minute hinaus: "
                                   "Check-Ergebnis mit Empfehlungen.")
    expect(emails).to_contain_text("E-Mail an info@brinkmann.example.org geplant für den")
    expect(steps.get_by_role("status").first).to_be_focused()  # after the page's own scroll to #moves-heading
    assert page.evaluate(FOCUSED_MESSAGE).startswith("Der Fall steht jetzt auf")
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # on screen, not at the top
    assert_nothing_clipped(page)
    assert_accessible(page, "case page with the confirmation in its section")

    page.goto(f"{live_server.url}/cases/{silent_id}")
    _move_to_check_done(page)
    expect(steps.get_by_role("status").nth(1)).to_contain_text(
        "Keine E-Mail geplant: Check-Ergebnis mit Empfehlungen. Der Betrieb hat nicht in E-Mails eingewilligt.")
    with live_server.app.app_context():  # not planned and cancelled: not planned at all
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.case_id == silent_id)) == 0

    # A note: the message stands under the timeline's heading, with the focus.
    page.get_by_label("Notiz").fill("Telefonat: Termin für Workshop gesucht")
    page.get_by_role("button", name="Notiz speichern").click()
    timeline = page.locator("section", has=page.get_by_role("heading", name="Verlauf"))
    expect(timeline.get_by_role("status")).to_have_text("Notiz gespeichert.")
    expect(timeline.get_by_role("status")).to_be_focused()
    assert page.evaluate(FOCUSED_MESSAGE) == "Notiz gespeichert."


def test_the_business_form_takes_the_municipality_from_the_postcode(new_page, live_server):
    page = new_page(**TABLET)
    log_in(page, live_server.url, "scout")
    page.get_by_role("link", name="Neuer Betrieb").click()
    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    expect(navigation.get_by_role("link", name="Neuer Betrieb")).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="Fälle")).not_to_have_attribute("aria-current", "page")
    page.get_by_label("Postleitzahl").fill("45701")
    expect(page.get_by_label("Kommune")).to_have_value(str(_municipality_id(live_server, "Herten")))
    expect(page.locator("#municipality_id option:checked")).to_have_text("Herten")
    assert_nothing_clipped(page)
    assert_accessible(page, "business form")


def _municipality_id(live_server, name: str) -> int:
    from app.reference.models import Municipality

    with live_server.app.app_context():
        return db.session.scalar(select(Municipality.id).where(Municipality.name == name))
