"""Steps the browser tests share: signing in through the real login form, and the German state labels."""

from playwright.sync_api import Page, expect

from tests.conftest import ACCOUNTS, PASSWORD

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


def state_badge(page: Page):
    """The state badge in the case page's heading."""
    return page.get_by_role("heading", level=1).locator(".badge")
