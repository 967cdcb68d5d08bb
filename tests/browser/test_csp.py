"""In Chromium: the pages run under the strict CSP without a single violation, and no page can be framed."""

from playwright.sync_api import Page

from tests.conftest import ACCOUNTS, PASSWORD


def _sign_in(page: Page, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail-Adresse").fill(ACCOUNTS[who][0])
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_no_csp_violation_on_the_main_pages(page: Page, live_server):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    _sign_in(page, live_server.url, "lead")
    for path in ("/cases", "/pipeline", "/programme", "/help", "/today", "/workshops", "/partners", "/outbox"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_a_page_cannot_be_framed(page: Page, live_server):
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "frame" in message.text.lower() else None)
    page.set_content(f'<iframe id="f" src="{live_server.url}/login" title="x"></iframe>')
    page.wait_for_timeout(1000)
    frame = page.frame_locator("#f")
    assert frame.get_by_label("E-Mail-Adresse").count() == 0
    assert blocked, "Chromium reports the refused frame"
