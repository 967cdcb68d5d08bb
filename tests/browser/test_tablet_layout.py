"""The case page and the caseload on a tablet (768×1024): nothing is clipped and nothing scrolls sideways, the
due dates say "heute" / "überfällig seit …", and both pages stay axe-clean (WCAG 2.1 AA)."""

from datetime import datetime, time, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.scheduling import reminders
from app.timeutil import BERLIN, today_berlin
from app.transactions import unit_of_work
from tests.browser.helpers import assert_accessible, log_in
from tests.factories import make_case

TABLET = {"width": 768, "height": 1024}

# Every card, every table's container and every value of the business's facts: its content fits its box.
CLIPPED = """() => [...document.querySelectorAll('main .card, main .table-wrap, main dl.facts dd')]
  .filter(el => el.scrollWidth > el.clientWidth)
  .map(el => (el.id || el.className || el.tagName) + ': ' + el.textContent.trim().slice(0, 60))"""



def assert_nothing_clipped(page: Page) -> None:
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def _long_case(live_server):
    """A case with long values (the longest trade, a long street and email address) and two reminders."""
    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case = make_case(scout, "Drechslerei und Holzspielzeugmacherei Kirchhoff-Testmann GmbH & Co. KG", "45701")
        business = case.business
        business.trade_id = db.session.scalar(select(Trade.id).order_by(Trade.name.desc()).where(
            Trade.name == "Drechsler (Elfenbeinschnitzer) und Holzspielzeugmacher"))
        business.municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == "Herten"))
        business.street = "Kirchplatz 3, Hinterhaus links, zweiter Hof"
        business.email = "kirchhoff.testmann.drechslerei@testmann.example.org"
        business.register_number = "123456789012"
        today = today_berlin()
        with unit_of_work():
            reminders.create(case, scout.id, datetime.combine(today - timedelta(days=3), time(23, 30), tzinfo=BERLIN),
                             "Angebot nachfragen")
            reminders.create(case, scout.id, datetime.combine(today, time(0, 5), tzinfo=BERLIN),
                             "Termin vereinbaren")
            reminders.sync_next_due(case.id)
        return case.id, today


def test_case_page_and_caseload_fit_a_tablet(new_page, live_server):
    case_id, today = _long_case(live_server)
    page = new_page(**TABLET)
    log_in(page, live_server.url, "scout")

    page.goto(f"{live_server.url}/cases/{case_id}")
    expect(page.get_by_role("heading", name="Betrieb")).to_be_visible()
    assert_nothing_clipped(page)
    reminders_section = page.locator("section", has=page.get_by_role("heading", name="Wiedervorlagen"))
    overdue_since = (today - timedelta(days=3)).strftime("%d.%m.%Y")
    expect(reminders_section).to_contain_text(f"überfällig seit {overdue_since}")
    expect(reminders_section).to_contain_text("heute")
    assert_accessible(page, "case page at 768 px")

    page.goto(f"{live_server.url}/cases?owner=all")
    row = page.get_by_role("row").filter(has_text="Kirchhoff-Testmann")
    expect(row).to_contain_text(f"überfällig seit {overdue_since}")
    assert_nothing_clipped(page)
    assert_accessible(page, "caseload at 768 px")


def test_the_outbox_fits_a_laptop_and_a_mail_reads_as_sent(new_page, live_server):
    """At 1366×800 the outbox's Aktionen column is not clipped; the mail page and the help page are axe-clean."""
    from app.scheduling import outbox
    from app.timeutil import utcnow

    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case = make_case(scout, "Drechslerei und Holzspielzeugmacherei Kirchhoff-Testmann GmbH & Co. KG")
        with unit_of_work():
            for i, status in enumerate(("failed", "pending", "sent", "cancelled")):
                row = outbox.queue(recipient="kirchhoff.testmann.drechslerei@testmann.example.org",
                                   audience="business", template_key="how_is_it_going", due_at=utcnow(),
                                   unique_key=f"layout:{i}", case_id=case.id, context={"case_id": case.id})
                row.status, row.attempts = status, 3
                row.last_error = "550 5.1.1 <kirchhoff.testmann.drechslerei@testmann.example.org>: Recipient " \
                                 "address rejected: User unknown in virtual mailbox table"
                if status == "sent":
                    row.subject, row.body_text = "Wie läuft es?", "Guten Tag,\nwie läuft es?\n"
                    row.body_html = '<p style="font-family:sans-serif">Guten Tag, wie läuft es?</p>'
                    sent = row
        sent_id = sent.id
    page = new_page(1366, 800)
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/outbox")
    expect(page.get_by_role("button", name="Abbrechen: kirchhoff.testmann.drechslerei@testmann.example.org").first) \
        .to_be_visible()
    assert_nothing_clipped(page)
    expect(page.locator(".scroll-hint")).to_have_count(0)
    assert_accessible(page, "outbox at 1366 px")
    page.goto(f"{live_server.url}/outbox/{sent_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie läuft es?")
    expect(page.frame_locator("iframe.mail-frame").get_by_text("Guten Tag, wie läuft es?")).to_be_visible()
    assert_accessible(page, "a mail's page")
    page.goto(f"{live_server.url}/help")
    assert_accessible(page, "help page")
    page.set_viewport_size(TABLET)
    assert_nothing_clipped(page)
