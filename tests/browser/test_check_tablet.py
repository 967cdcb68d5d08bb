"""A scout takes a full check in scout mode on a tablet (768×1024) in Chromium, with CSRF on: one dimension
per step, answers saved in the background, resumed after the tab was left; then the result page, its A4
print and the take-over of a suggested measure. axe-core checks the check form and the result (WCAG 2.1 AA)."""

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import Case, Measure
from app.checks import questionnaire as qn
from app.checks.models import Check
from app.extensions import db
from app.reference.models import Topic
from app.timeutil import utcnow
from app.workshops.models import Workshop
from tests.browser.helpers import STATE_DE, assert_accessible, log_in
from tests.factories import make_case

V2 = qn.load("v2")
TABLET = {"width": 768, "height": 1024}
WORKSHOP = "E-Rechnung ab 2027: was Betriebe jetzt tun müssen"
# Gaps to find on the result page: item -> (implementation, relevance); all else fully implemented, very relevant.
SPECIAL = {"office_e_invoice_issue": ("nicht vorhanden", "sehr relevant"),
           "security_backup": ("geplant", "sehr relevant"),
           "site_time_recording": ("begonnen", "sehr relevant"),
           "customers_website": ("begonnen", "relevant"),
           "skills_training": ("geplant", "wenig relevant"),
           "data_ai_use": ("überwiegend umgesetzt", "wenig relevant"),  # the sixth gap: not shown
           "strategy_plan": ("Keine Angabe", "relevant")}



def assert_fits_the_tablet(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def rate(page: Page, key: str, implementation: str, relevance: str) -> None:
    item = page.locator(f"#item-{key}")
    item.get_by_role("group", name="Wie weit umgesetzt?").get_by_role("radio", name=implementation,
                                                                      exact=True).check()
    item.get_by_role("group", name="Wie wichtig für den Betrieb?").get_by_role("radio", name=relevance,
                                                                              exact=True).check()


def answer_step(page: Page, step: int) -> None:
    for item in V2.dimensions[step - 1].items:
        rate(page, item.key, *SPECIAL.get(item.key, ("vollständig umgesetzt", "sehr relevant")))


def saved_answers(live_server, check_id: int) -> dict:
    with live_server.app.app_context():
        return db.session.get(Check, check_id).answers


def test_scout_takes_a_full_check_on_a_tablet_and_sees_the_result(new_page, live_server, tmp_path):
    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case_id = make_case(scout, name="Tischlerei Brinkmann").id
        topic = db.session.scalar(select(Topic).where(Topic.key == "e_invoicing"))
        db.session.add(Workshop(title=WORKSHOP, topic_id=topic.id, place="Handwerkskammer, Gelsenkirchen",
                                starts_at=utcnow() + timedelta(days=14)))
        db.session.commit()
    page = new_page(**TABLET)
    base = live_server.url
    log_in(page, base, "scout")
    page.goto(f"{base}/cases/{case_id}")
    page.get_by_role("button", name="Check beginnen").click()

    # Step 1: one dimension, the progress shown; the form passes axe and fits the tablet.
    expect(page.get_by_text("Schritt 1 von 7")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=V2.dimensions[0].name)).to_be_visible()
    assert_accessible(page, "check form")
    assert_fits_the_tablet(page)
    answer_step(page, 1)
    # The background save stores each change without a button (the status line says so).
    expect(page.get_by_role("status").filter(has_text="Antworten automatisch gespeichert")).to_be_visible()
    with live_server.app.app_context():
        check_id = db.session.scalar(select(Check.id).where(Check.case_id == case_id))
    page.wait_for_function("document.getElementById('autosave-status').textContent.includes('gespeichert')")
    page.get_by_role("button", name="Weiter", exact=True).click()

    # Step 2: answered, then the tab is left without pressing a button; nothing is lost.
    expect(page.get_by_text("Schritt 2 von 7")).to_be_visible()
    answer_step(page, 2)
    expect(page.get_by_role("status").filter(has_text="Antworten automatisch gespeichert")).to_be_visible()
    page.wait_for_timeout(800)  # the last change's save (debounced) goes out
    answers = saved_answers(live_server, check_id)
    assert all(item.key in answers for item in V2.dimensions[1].items)
    page.goto(f"{base}/cases/{case_id}")
    page.get_by_role("button", name="Check fortsetzen").click()
    expect(page.get_by_text("Schritt 2 von 7")).to_be_visible()
    website = page.locator("#item-customers_website")
    expect(website.get_by_role("radio", name="begonnen", exact=True)).to_be_checked()

    # Back and forth: the remaining steps, each saved with "Weiter".
    page.get_by_role("button", name="Zurück", exact=True).click()
    expect(page.get_by_text("Schritt 1 von 7")).to_be_visible()
    expect(page.locator("#item-strategy_plan").get_by_role("radio", name="relevant", exact=True)).to_be_checked()
    page.get_by_role("button", name="Weiter", exact=True).click()
    for step in range(2, 8):
        expect(page.get_by_text(f"Schritt {step} von 7")).to_be_visible()
        answer_step(page, step)
        page.get_by_role("button", name=re.compile(r"^Weiter")).click()

    # The review offers the move to "check_done" in the same step.
    expect(page.get_by_text("Alle Fragen sind beantwortet.")).to_be_visible()
    move_on = page.get_by_label(f"Fall anschließend auf „{STATE_DE['check_done']}“ setzen")
    expect(move_on).to_be_checked()
    page.get_by_role("button", name="Check abschließen").click()

    # The result: level, chart with its table, the gaps with measures and the workshop.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Ergebnis des Digitalisierungschecks: Tischlerei Brinkmann")
    expect(page.get_by_role("status").filter(has_text="Der Fall steht jetzt auf „Check durchgeführt“.")).to_be_visible()
    expect(page.get_by_role("img", name="Punkte je Handlungsfeld")).to_be_visible()
    expect(page.get_by_role("table", name="Punkte je Handlungsfeld")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stufe \d von 5: "))).to_be_visible()
    gaps = page.locator("ol.gaps > li")
    expect(gaps).to_have_count(5)
    expect(gaps.first.get_by_role("heading", level=3)).to_contain_text("als E-Rechnung nach der Norm EN 16931")
    expect(gaps.first.get_by_role("link", name=WORKSHOP)).to_be_visible()
    assert_accessible(page, "result page")
    assert_fits_the_tablet(page)

    # Printed on A4 it takes at most two pages.
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, f"{pages} A4 pages"

    # A suggested measure is taken over into the case with one tick and one click.
    gaps.first.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Ausgewählte Maßnahmen in den Fall übernehmen").click()
    expect(page.get_by_text("1 Maßnahme wurde als „vorgeschlagen“ in den Fall übernommen.")).to_be_visible()

    with live_server.app.app_context():
        check = db.session.get(Check, check_id)
        assert check.status == "completed" and check.questionnaire_version == "v2"
        assert check.answers["office_e_invoice_issue"] == {"implementation": 0, "relevance": 4}
        assert check.answers["strategy_plan"] == {"implementation": None, "relevance": 3}
        assert check.scores["office"] == round((4 * 5 + 0) / 24 * 100, 1)
        assert db.session.get(Case, case_id).state == "check_done"
        measure = db.session.scalar(select(Measure).where(Measure.case_id == case_id))
        assert measure.status == "suggested" and "XRechnung oder ZUGFeRD" in measure.description


def test_lead_sees_first_check_and_recheck_side_by_side_and_the_programme(new_page, live_server):
    """The case page with both checks compared and the measures' status forms, and /programme: axe-clean."""
    from tests.checks.test_checks_result import completed_check

    with live_server.app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        case = make_case(scout)
        first = completed_check(case)
        first.completed_at = utcnow() - timedelta(days=180)
        completed_check(case, {"office_e_invoice_issue": (4, 4)}, kind="t1")
        db.session.add(Measure(case_id=case.id, description="Einmal im Jahr eine Wiederherstellung testen",
                               status="suggested"))
        db.session.commit()
        case_id = case.id
    page = new_page(**TABLET)
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/cases/{case_id}")
    comparison = page.get_by_role("table", name="Erster Check und Re-Check im Vergleich")
    expect(comparison).to_be_visible()
    expect(comparison.get_by_role("row", name=re.compile("Büro, Angebote und Rechnungen"))).to_contain_text("+")
    expect(page.get_by_label(re.compile("^Status: Einmal im Jahr"))).to_have_value("suggested")
    assert_accessible(page, "case page")
    assert_fits_the_tablet(page)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Programm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programm: gemessene Wirkung der Checks")
    expect(page.get_by_text("Betriebe mit Re-Check: 1")).to_be_visible()
    assert_accessible(page, "programme page")
