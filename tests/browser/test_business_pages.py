"""What a business sees on a phone (390×844) and a tablet (768×1024) in Chromium: its self-check result and the
one-click answer page. Nothing is wider than the screen (scrollWidth <= clientWidth), and axe-core finds no
WCAG 2.1 AA violation."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.checks import questionnaire as qn
from app.checks import self_check, services
from app.extensions import db
from app.scheduling import links
from app.scheduling.rules import seed_default_rules
from app.transactions import unit_of_work
from tests.browser.helpers import assert_accessible
from tests.conftest import ACCOUNTS
from tests.mailflow import advance, consenting_case

SIZES = [pytest.param((390, 844), id="phone"), pytest.param((768, 1024), id="tablet")]
# Elements wider than their box: the page itself, and any heading, paragraph, card or list item in it.
OVERFLOWING = """() => {
  const wide = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push("page " + root.scrollWidth + " > " + root.clientWidth);
  for (const el of document.querySelectorAll("main h1, main h2, main h3, main p, main li, main .card, main dd")) {
    if (el.scrollWidth > el.clientWidth + 1) wide.push(el.tagName + ": " + el.textContent.trim().slice(0, 60));
  }
  return wide;
}"""

# Whether a word of the page's h1 stays on one line (Chromium without a hyphenation dictionary breaks it anywhere).
WORD_ON_ONE_LINE = """(word) => {
  const text = document.querySelector("h1").firstChild;
  const start = text.textContent.indexOf(word);
  const range = document.createRange();
  range.setStart(text, start);
  range.setEnd(text, start + word.length);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size === 1;
}"""


def assert_fits_and_accessible(page: Page, what: str) -> None:
    assert page.evaluate(OVERFLOWING) == [], what
    assert_accessible(page, what)


def _scout():
    return db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))


def _self_check_ready_to_submit(live_server) -> str:
    """A business's self-check link whose draft is answered up to the review (one dimension all "no answer")."""
    app = live_server.app
    app.config["PUBLIC_BASE_URL"] = live_server.url
    with app.app_context():
        case = consenting_case(_scout(), name="Elektro Sonnenschein-Großkreutzenberger GmbH & Co. KG")
        questionnaire = qn.load()
        answers = {}
        for index, dimension in enumerate(questionnaire.dimensions):
            for item in dimension.items:
                value = None if index == 0 else (index + len(item.key)) % 5
                answers[item.key] = {"implementation": value, "relevance": None if value is None else 3}
        with unit_of_work():
            self_check.save(case, self_check.draft_for(case), answers, services.review_step(questionnaire))
            link = links.make_url("self_check", case_id=case.id, business_id=case.business_id)
        db.session.remove()
    return link


@pytest.mark.parametrize("size", SIZES)
def test_the_self_check_ends_with_the_result_and_fits_the_screen(live_server, new_page, size):
    link = _self_check_ready_to_submit(live_server)
    business = new_page(*size)
    business.goto(link + "/steps/1")
    expect(business.locator(".step-progress")).to_contain_text("Schritt 1 von")
    assert business.evaluate(OVERFLOWING) == [], f"self-check step at {size}"
    business.goto(link)
    expect(business.get_by_text("Alle Fragen sind beantwortet")).to_be_visible()
    assert business.evaluate(OVERFLOWING) == [], f"self-check review at {size}"
    business.locator("button[name=go][value=complete]").click()

    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihren Selbstcheck")
    expect(business.locator(".topbar .brand")).to_have_text("Handwerkskammer Münster")
    expect(business.get_by_role("img", name="Punkte je Handlungsfeld")).to_be_visible()
    expect(business.locator(".result-summary")).to_contain_text("Stufe")
    expect(business.get_by_role("heading", name="Was Sie zuerst angehen könnten")).to_be_visible()
    first_gap = business.locator("li.gap").first
    expect(first_gap.get_by_role("heading", level=4, name="Vorgeschlagene Maßnahmen")).to_be_visible()
    # The dimension answered only with "keine Angabe" says so in words.
    expect(business.locator(".score-table")).to_contain_text("kein Ergebnis")
    expect(business.get_by_text("Ein Handlungsfeld ohne Ergebnis enthielt nur „Keine Angabe“")).to_be_visible()
    assert_fits_and_accessible(business, f"self-check result at {size}")


def _answer_links(live_server) -> dict[str, str]:
    """Two answer links of one "How is it going?" mail (one nonce) for a referred case."""
    app = live_server.app
    app.config["PUBLIC_BASE_URL"] = live_server.url
    with app.app_context():
        seed_default_rules()
        case = consenting_case(_scout())
        advance(case, "referred", _scout())
        with unit_of_work():
            nonce = links.new_nonce("answer", case_id=case.id, business_id=case.business_id)
            urls = {key: links.make_url("answer", nonce=nonce, a=key) for key in ("in_progress", "need_help")}
        db.session.remove()
    return urls


@pytest.mark.parametrize("size", SIZES)
def test_the_answer_page_fits_the_screen_and_the_answer_can_be_changed(live_server, new_page, size):
    urls = _answer_links(live_server)
    business = new_page(*size)
    business.goto(urls["in_progress"])
    expect(business.get_by_role("heading", level=1)).to_have_text("Wie läuft es mit Ihrem Digitalisierungsvorhaben?")
    where = "Sie geht direkt an Ihren Prozessscout bei der Handwerkskammer Münster."
    expect(business.get_by_text(where)).to_be_visible()
    assert_fits_and_accessible(business, f"answer page at {size}")
    assert business.evaluate(WORD_ON_ONE_LINE, "Digitalisierungsvorhaben?"), "the heading splits a word"
    business.get_by_role("button", name="Antwort senden").click()
    expect(business.get_by_role("status")).to_contain_text("„in Arbeit“")
    assert_fits_and_accessible(business, f"answer sent at {size}")

    # Another link of the same mail: the latest answer is shown, and a change is taken.
    business.goto(urls["need_help"])
    expect(business.get_by_text("Ihre letzte Antwort vom")).to_contain_text("„in Arbeit“")
    expect(business.get_by_role("radio", name="brauche Unterstützung")).to_be_checked()
    business.get_by_role("button", name="Antwort senden").click()
    expect(business.get_by_role("status")).to_contain_text("„brauche Unterstützung“")
    expect(business.get_by_text("meldet sich bald bei Ihnen")).to_be_visible()
