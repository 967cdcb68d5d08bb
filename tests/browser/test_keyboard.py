"""ProCheck works with the keyboard alone: the skip link comes first, and signing in needs no mouse."""

import re

from playwright.sync_api import Page, expect

from tests.conftest import ACCOUNTS, PASSWORD

SKIP_LINK = "Zum Inhalt springen"


def focused_name(page: Page) -> str:
    """A short description of the focused element, for readable assertion messages."""
    return page.evaluate("() => { const e = document.activeElement; return e.tagName + '#' + e.id + ' '"
                         " + (e.getAttribute('name') || '') + ' ' + e.textContent.trim().slice(0, 40); }")


def assert_skip_link_first_and_working(page: Page) -> None:
    """On a freshly loaded page the first Tab reaches the visible skip link; Enter moves the focus to main."""
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=SKIP_LINK)
    expect(skip, f"first focus is {focused_name(page)}").to_be_focused()
    expect(skip).to_be_in_viewport()  # visible while focused, not left off-screen
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_sign_in_with_the_keyboard_only_and_reach_the_caseload(page: Page, live_server):
    email = ACCOUNTS["scout"][0]
    page.goto(f"{live_server.url}/login")
    assert_skip_link_first_and_working(page)

    # From the main content, Tab leads to the email field, then to the password field.
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-Mail-Adresse"), focused_name(page)).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passwort"), focused_name(page)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # The browser keeps the "#main" of the skip link across the redirect; the path is what counts.
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/cases(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Fälle")
    expect(page.get_by_role("button", name="Abmelden", exact=True)).to_be_visible()

    # Signed in, the skip link still comes first, before the navigation, and it skips it.
    page.goto(f"{live_server.url}/cases")
    assert_skip_link_first_and_working(page)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_count(1)
    assert page.get_by_role("navigation", name="Hauptnavigation").locator(":focus").count() == 0, focused_name(page)
    assert page.get_by_role("main").locator(":focus").count() == 1, focused_name(page)


def test_the_sign_in_button_is_reachable_with_tab(page: Page, live_server):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-Mail-Adresse").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Anmelden")).to_be_focused()
    page.keyboard.press("Enter")  # an empty password: a German message, tied to its field
    expect(page.get_by_label("Passwort")).to_have_accessible_description("Bitte geben Sie Ihr Passwort ein.")
