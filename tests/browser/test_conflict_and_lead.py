"""The team lead in the browser: reassigning from the pipeline, and a move that loses a race with the lead."""

from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import Case, CaseEvent
from app.extensions import db
from tests.browser.helpers import STATE_DE, log_in, state_badge
from tests.factories import add_check, make_case


def test_lead_reassigns_a_case_from_the_pipeline(page, live_server):
    app = live_server.app
    with app.app_context():
        scout1 = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        scout2_id = db.session.scalar(select(User.id).where(User.email == "scout2@example.org"))
        moved_id = make_case(scout1, "Tischlerei Brinkmann", "45879").id
        kept_id = make_case(scout1, "Malerbetrieb Yilmaz", "45881").id
        scout1_id = scout1.id

    log_in(page, live_server.url, "lead")
    expect(page).to_have_url(f"{live_server.url}/pipeline")  # the lead's start page
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    page.get_by_label("Tischlerei Brinkmann auswählen").check()
    page.get_by_label("Übergeben an").select_option(label="Sven Scout")
    page.get_by_role("button", name="Ausgewählte Fälle übergeben").click()

    expect(page.get_by_role("status")).to_have_text("1 Fall wurde an Sven Scout übergeben.")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Tischlerei Brinkmann"))
    expect(row.get_by_role("cell").nth(3)).to_have_text("Sven Scout")  # select, municipality, state, owner
    other = page.get_by_role("row").filter(has=page.get_by_role("link", name="Malerbetrieb Yilmaz"))
    expect(other.get_by_role("cell").nth(3)).to_have_text("Sina Scout")

    with app.app_context():
        assert db.session.get(Case, moved_id).owner_id == scout2_id
        assert db.session.get(Case, kept_id).owner_id == scout1_id  # only the ticked case moved
        entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == moved_id,
                                                          CaseEvent.kind == "reassigned"))
        assert entry is not None and entry.data == {"from_owner": scout1_id, "to_owner": scout2_id}
        assert entry.actor.email == "leitung@example.org"


def test_a_move_on_a_stale_page_is_refused_after_the_lead_withdrew_the_case(new_page, live_server):
    app = live_server.app
    with app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case = make_case(scout)
        add_check(case)  # so the scout's page offers "Auf „Check durchgeführt“ setzen"
        case_url = f"{live_server.url}/cases/{case.id}"
        case_id = case.id

    scout_page, lead_page = new_page(), new_page()
    log_in(scout_page, live_server.url, "scout")
    log_in(lead_page, live_server.url, "lead")
    scout_page.goto(case_url)
    lead_page.goto(case_url)
    forward = scout_page.get_by_role("button", name=f"Auf „{STATE_DE['check_done']}“ setzen")
    expect(forward).to_be_enabled()

    # The lead withdraws the case first ...
    lead_page.get_by_label("Begründung für „Zurückziehen“").fill("Betrieb wurde verkauft, kein Bedarf mehr.")
    lead_page.get_by_role("button", name="Zurückziehen").click()
    expect(lead_page.get_by_role("status")).to_have_text(f"Der Fall steht jetzt auf „{STATE_DE['withdrawn']}“.")
    expect(state_badge(lead_page)).to_have_text(STATE_DE["withdrawn"])

    # ... then the scout, still on the old page, moves it on.
    forward.click()
    expect(scout_page.get_by_role("alert")).to_contain_text("Der Fall wurde inzwischen geändert")
    expect(state_badge(scout_page)).to_have_text(STATE_DE["withdrawn"])  # the page now shows the case as it is

    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "withdrawn"
        moves = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "moved")
                                   .order_by(CaseEvent.id)).all()
        assert [(m.from_state, m.to_state, m.actor.email) for m in moves] == [
            ("contacted", "withdrawn", "leitung@example.org")]
        assert moves[0].text == "Betrieb wurde verkauft, kein Bedarf mehr."
