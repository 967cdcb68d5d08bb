"""A business fills in the self-check from the received mail in Chromium; the scout then sees it on the case.

The mail is queued as the scout's button does, sent by the real dispatcher to an aiosmtpd server, and its
link (pointing at the live server) is opened in the browser, with CSRF on.
"""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.checks import questionnaire as qn
from app.checks import self_check
from app.checks.models import Check
from app.extensions import db
from app.transactions import unit_of_work
from tests.browser.helpers import log_in
from tests.conftest import ACCOUNTS
from tests.mailflow import bodies, consenting_case, deliver, received


def _received_link(live_server, mail_server) -> tuple[int, str]:
    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))
        case = consenting_case(scout)
        with unit_of_work():  # what the scout's request commits
            self_check.send_link(case, scout)
        deliver()
        case_id = case.id
        db.session.remove()
    _text, html = bodies(received(mail_server, "Selbstausfüllen"))
    link = re.search(r'<a href="([^"]+)"[^>]*>Check jetzt ausfüllen</a>', html).group(1)
    assert link.startswith(f"{live_server.url}/s/")
    return case_id, link


def test_business_submits_the_self_check_and_the_scout_sees_it(live_server, mail_server, new_page):
    case_id, link = _received_link(live_server, mail_server)
    steps = len(qn.load().dimensions)

    business = new_page()
    business.goto(link)
    for step in range(1, steps + 1):
        expect(business.locator(".step-progress")).to_contain_text(f"Schritt {step} von {steps}")
        for radio in business.locator("input[type=radio][value='2']").all():
            radio.check()
        business.locator("button[name=go][value=next]").click()
    expect(business.get_by_text("Alle Fragen sind beantwortet")).to_be_visible()
    business.locator("button[name=go][value=complete]").click()
    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihren Selbstcheck")

    level = business.locator(".result-summary").inner_text()
    business.reload()  # the result again, nothing sent twice
    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihren Selbstcheck")
    expect(business.locator(".result-summary")).to_have_text(level)
    business.goto(link)  # used up by the submit: from the email it shows the result too
    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihren Selbstcheck")
    expect(business.locator("input[type=radio]")).to_have_count(0)

    scout: Page = new_page()
    log_in(scout, live_server.url, "scout")
    scout.goto(f"{live_server.url}/cases/{case_id}")
    timeline = scout.get_by_role("region", name="Verlauf")
    entry = timeline.get_by_role("listitem").filter(has_text="Selbstcheck abgesendet")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("System")

    with live_server.app.app_context():
        check = db.session.scalar(select(Check).where(Check.case_id == case_id))
        assert check.status == "completed" and check.created_by_id is None
        db.session.remove()
