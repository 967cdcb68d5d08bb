"""Steps the browser tests share: signing in through the real login form, the German state labels, and the
axe-core check against WCAG 2.1 AA."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import ACCOUNTS, PASSWORD

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# What the user sees for each state (translations/de): asserting the German text, not the key.
STATE_DE = {
    "contacted": "Kontakt aufgenommen",
    "check_done": "Check durchgeführt",
    "workshop_attended": "Workshop besucht",
    "referred": "Vermittelt",
    "implemented": "Umgesetzt",
    "withdrawn": "Zurückgezogen",
}


def log_in(page: Page, base_url: str, who: str) -> None:
    """Sign in through the login form as one of tests/conftest.py's ACCOUNTS."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-Mail-Adresse").fill(ACCOUNTS[who][0])
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden", exact=True)).to_be_visible()


def assert_accessible(page: Page, what: str) -> None:
    """No WCAG 2.1 AA violation on the page. Waits for the page to have loaded: a link clicked just before may
    still be navigating, and axe run on a document being replaced fails with "Cannot read properties of null"."""
    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def state_badge(page: Page):
    """The state badge in the case page's heading."""
    return page.get_by_role("heading", level=1).locator(".badge")
