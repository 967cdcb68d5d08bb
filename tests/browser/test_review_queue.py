"""The team lead in the browser: the review queue shows a stuck case, and the lead hands it over from there."""

from datetime import datetime, time

from playwright.sync_api import expect
from sqlalchemy import select, update

from app.auth.models import User
from app.cases import activity
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.reports.review import working_days_before
from app.timeutil import BERLIN, today_berlin
from tests.browser.helpers import log_in
from tests.factories import make_case


def test_lead_reassigns_a_stuck_case_from_the_review_queue(page, live_server):
    app = live_server.app
    with app.app_context():
        scout1 = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        scout2_id = db.session.scalar(select(User.id).where(User.email == "scout2@example.org"))
        stuck_id = make_case(scout1, "Tischlerei Brinkmann", "45879").id
        make_case(scout1, "Malerbetrieb Yilmaz", "45881")  # active today: not in the queue
        long_ago = datetime.combine(working_days_before(today_berlin(), 12), time(10, 0), tzinfo=BERLIN)
        db.session.execute(update(CaseEvent).where(CaseEvent.case_id == stuck_id).values(created_at=long_ago))
        activity.backfill(db.session.connection())
        db.session.commit()

    log_in(page, live_server.url, "lead")
    page.get_by_role("link", name="Prüfliste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prüfliste")
    stuck = page.locator("#stuck")
    expect(stuck.get_by_role("link", name="Tischlerei Brinkmann")).to_be_visible()
    expect(stuck.get_by_role("link", name="Malerbetrieb Yilmaz")).to_have_count(0)
    row = stuck.get_by_role("row").filter(has=page.get_by_role("link", name="Tischlerei Brinkmann"))
    expect(row.get_by_role("cell").nth(3)).to_have_text("12")  # select, state, latest activity, idle days
    expect(row.get_by_role("cell").nth(4)).to_have_text("Sina Scout")

    stuck.get_by_label("Tischlerei Brinkmann auswählen").check()
    stuck.get_by_label("Übergeben an").select_option(label="Sven Scout")
    stuck.get_by_role("button", name="Ausgewählte Fälle übergeben").click()

    expect(page.get_by_role("status")).to_have_text("1 Fall wurde an Sven Scout übergeben.")
    # The hand-over is activity: the case has left the stuck list; its page names the new owner.
    expect(page.locator("#stuck").get_by_role("link", name="Tischlerei Brinkmann")).to_have_count(0)
    page.goto(f"{live_server.url}/cases/{stuck_id}")
    expect(page.locator("dd").filter(has_text="Sven Scout")).to_be_visible()
    with app.app_context():
        assert db.session.get(Case, stuck_id).owner_id == scout2_id
