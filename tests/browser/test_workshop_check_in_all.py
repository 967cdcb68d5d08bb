"""The check-in with one tap on a tablet (768×1024) in Chromium: "Alle als anwesend markieren" ticks every row
without a mark, "Auswahl zurücksetzen" takes that back, a row marked by hand stays as it is, and saving reports
the counts. axe-core checks the page (WCAG 2.1 AA); the buttons are 48 px targets."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow
from app.transactions import unit_of_work
from app.workshops import registrations
from app.workshops.models import Registration, Workshop
from tests.browser.helpers import assert_accessible, log_in
from tests.browser.test_check_tablet import TABLET, assert_fits_the_tablet
from tests.conftest import ACCOUNTS
from tests.workshops.helpers import checked_case, workshop

BUSINESSES = ("Dachdeckerei Weber", "Elektro Krause", "Tischlerei Lange")


def test_mark_all_as_attended_with_one_tap_on_a_tablet_and_save(live_server, new_page):
    app, base = live_server.app, live_server.url
    with app.app_context():
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))
        cases = [checked_case(scout, name) for name in BUSINESSES]
        target = workshop(days=5)
        with unit_of_work():
            for case in cases:
                registrations.register(case, target)
        db.session.get(Workshop, target.id).starts_at = utcnow() - timedelta(hours=1)  # the event's day
        db.session.commit()
        workshop_id = target.id
        db.session.remove()

    page = new_page(**TABLET)
    log_in(page, base, "scout")
    page.goto(f"{base}/workshops/{workshop_id}")
    attended = [page.get_by_role("group", name=name).get_by_role("radio", name="teilgenommen") for name in BUSINESSES]
    mark_all = page.get_by_role("button", name="Alle als anwesend markieren")
    assert mark_all.bounding_box()["height"] >= 48

    mark_all.click()
    for radio in attended:
        expect(radio).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="3 Betriebe als anwesend markiert")).to_be_visible()
    page.get_by_role("button", name="Auswahl zurücksetzen").click()
    for radio in attended:
        expect(radio).not_to_be_checked()

    page.get_by_role("group", name=BUSINESSES[1]).get_by_role("radio", name="nicht erschienen").check()
    page.get_by_role("button", name="Alle als anwesend markieren").click()
    expect(attended[0]).to_be_checked()
    expect(attended[1]).not_to_be_checked()
    expect(attended[2]).to_be_checked()
    assert_accessible(page, "check-in with everybody marked")
    assert_fits_the_tablet(page)
    save = page.get_by_role("button", name="Check-in speichern")
    assert save.bounding_box()["height"] >= 48
    save.click()
    expect(page.get_by_text("Check-in gespeichert: 2 teilgenommen, 1 nicht erschienen.")).to_be_visible()
    expect(page.get_by_text("2 Fälle stehen jetzt auf „Workshop besucht“.")).to_be_visible()
    expect(page.get_by_role("button", name="Alle als anwesend markieren")).to_have_count(0)

    with app.app_context():
        statuses = sorted(db.session.scalars(select(Registration.status).where(
            Registration.workshop_id == workshop_id)))
        assert statuses == ["attended", "attended", "no_show"]
        db.session.remove()
