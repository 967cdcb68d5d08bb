"""A workshop from invitation to check-in in Chromium (CSRF on): the scout invites a business by its check's gap,
the business registers through the link in the mail it received over SMTP, and at the event the scout checks it
in on a tablet (768×1024) and sees its case move to "Workshop besucht". axe-core checks the pages (WCAG 2.1 AA)."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow
from app.workshops.models import Registration, Workshop
from tests.browser.helpers import STATE_DE, assert_accessible, log_in
from tests.browser.test_check_tablet import TABLET, assert_fits_the_tablet
from tests.conftest import ACCOUNTS
from tests.mailflow import bodies, deliver, link_after
from tests.workshops.helpers import checked_case, workshop

BUSINESS = "Dachdeckerei Weber"


def test_invite_register_by_mail_and_check_in_on_a_tablet(live_server, mail_server, new_page):
    app, base = live_server.app, live_server.url
    with app.app_context():
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))
        case = checked_case(scout, BUSINESS)
        target = workshop(days=5, title="Sicher im Netz für Handwerksbetriebe")
        case_id, workshop_id, email = case.id, target.id, case.business.email
        db.session.remove()

    page = new_page(**TABLET)
    log_in(page, base, "scout")
    page.goto(f"{base}/workshops/{workshop_id}")
    page.get_by_role("link", name="Betriebe einladen").click()
    expect(page.get_by_role("checkbox", name=BUSINESS)).to_be_checked()
    expect(page.get_by_text("Einladung zum Workshop „Sicher im Netz für Handwerksbetriebe“")).to_be_visible()
    assert_accessible(page, "invitation list")
    page.get_by_role("button", name="Einladungen versenden").click()
    expect(page.get_by_text("1 Einladungen sind zum Versand vorgemerkt.")).to_be_visible()

    with app.app_context():
        deliver()
        db.session.remove()
    invitation = [m for m in mail_server.messages if m["To"] == email]
    assert len(invitation) == 1 and "Einladung zum Workshop" in str(invitation[0]["Subject"])
    yes = link_after(bodies(invitation[0])[0], "Ich nehme teil")
    assert yes.startswith(f"{base}/w/")

    business = new_page()
    business.goto(yes)
    expect(business.get_by_role("radio", name="Ich nehme teil")).to_be_checked()
    assert_accessible(business, "registration page")
    business.get_by_role("button", name="Antwort senden").click()
    expect(business.get_by_role("heading", level=1)).to_have_text("Sie sind angemeldet")

    with app.app_context():  # the day of the event has come
        db.session.get(Workshop, workshop_id).starts_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        db.session.remove()

    page.goto(f"{base}/workshops/{workshop_id}")
    row = page.get_by_role("group", name=BUSINESS)
    row.get_by_role("radio", name="teilgenommen").check()
    expect(page.get_by_role("checkbox", name="Fälle auf „Workshop besucht“ setzen, wo möglich")).to_be_checked()
    assert_accessible(page, "check-in")
    assert_fits_the_tablet(page)
    page.get_by_role("button", name="Check-in speichern").click()
    expect(page.get_by_text("Check-in gespeichert: 1 teilgenommen, 0 nicht erschienen.")).to_be_visible()
    expect(page.get_by_text("1 Fälle stehen jetzt auf „Workshop besucht“.")).to_be_visible()

    page.get_by_role("link", name=BUSINESS).click()
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text(STATE_DE["workshop_attended"])
    with app.app_context():
        assert db.session.scalar(select(Registration.status).where(Registration.case_id == case_id)) == "attended"
        db.session.remove()
