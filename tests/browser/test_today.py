"""A scout in the browser: completes a reminder on /today and sets a new one on the case page (CSRF on)."""

from datetime import datetime, time, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.scheduling import reminders
from app.scheduling.models import Reminder
from app.timeutil import BERLIN, utcnow
from tests.browser.helpers import log_in
from tests.factories import make_case


def test_scout_completes_a_reminder_on_today_and_sets_a_new_one_on_the_case(page, live_server):
    app = live_server.app
    today = utcnow().astimezone(BERLIN).date()
    with app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case = make_case(scout, "Tischlerei Brinkmann", "45879")
        done = reminders.create(case, scout.id, datetime.combine(today, time(0, 1), tzinfo=BERLIN),
                                "Termin für den Check vereinbaren")
        reminders.create(case, scout.id, datetime.combine(today - timedelta(days=2), time(7), tzinfo=BERLIN),
                         "Angebot nachfragen")
        db.session.commit()
        case_id, done_id = case.id, done.id

    log_in(page, live_server.url, "scout")
    page.get_by_role("link", name="Heute 2 fällige Wiedervorlagen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heute fällig")
    rows = page.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Angebot nachfragen")  # oldest first
    expect(rows.nth(1)).to_contain_text("überfällig")
    page.get_by_role("button", name="Erledigt: Termin für den Check vereinbaren").click()

    expect(page.get_by_role("status")).to_have_text("Erledigt: Termin für den Check vereinbaren")
    expect(page.get_by_role("button", name="Erledigt: Termin für den Check vereinbaren")).to_have_count(0)
    expect(page.get_by_role("link", name="Heute 1 fällige Wiedervorlage")).to_be_visible()
    with app.app_context():
        assert db.session.get(Reminder, done_id).state == "done"

    page.get_by_role("link", name="Tischlerei Brinkmann").click()
    page.get_by_text("Neue Wiedervorlage").click()
    page.get_by_label("Was ist zu tun?").fill("Unterlagen zur E-Rechnung schicken")
    page.get_by_label("Fällig am").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("um", exact=True).fill("10:30")
    page.get_by_role("button", name="Wiedervorlage speichern").click()
    expect(page.get_by_role("status")).to_have_text("Die Wiedervorlage ist gespeichert.")
    expect(page.get_by_text("Unterlagen zur E-Rechnung schicken").first).to_be_visible()
    with app.app_context():
        created = db.session.scalar(select(Reminder).where(Reminder.case_id == case_id,
                                                           Reminder.title == "Unterlagen zur E-Rechnung schicken"))
        wanted = datetime.combine(today + timedelta(days=7), time(10, 30), tzinfo=BERLIN)
        assert created is not None and created.due_at == wanted
