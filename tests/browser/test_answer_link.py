"""A business answers "How is it going?" from a received mail in Chromium; the scout then sees it on the case.

The mail is queued by the real follow-up rules, sent by the real dispatcher to an aiosmtpd server,
and its link (pointing at the live server) is opened in the browser, with CSRF on.
"""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import CaseEvent
from app.extensions import db
from app.scheduling.models import Reminder
from app.scheduling.rules import seed_default_rules
from tests.browser.helpers import log_in
from tests.conftest import ACCOUNTS
from tests.mailflow import advance, bodies, consenting_case, deliver, make_due, received


def _received_survey(live_server, mail_server) -> tuple[int, str]:
    """A referred case whose "How is it going?" mail has arrived; returns the case id and the "in Arbeit" link."""
    with live_server.app.app_context():
        seed_default_rules()
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))
        case = consenting_case(scout)
        advance(case, "referred", scout)
        make_due(case, "how_is_it_going")
        deliver()
        case_id = case.id
        db.session.remove()
    _text, html = bodies(received(mail_server, "Wie läuft es"))
    link = re.search(r'<a href="([^"]+)"[^>]*>in Arbeit</a>', html).group(1)
    assert link.startswith(f"{live_server.url}/a/")
    return case_id, link


def test_business_confirms_an_answer_from_the_mail_and_the_scout_sees_it(live_server, mail_server, new_page):
    case_id, link = _received_survey(live_server, mail_server)

    business = new_page()
    business.goto(link)
    expect(business.get_by_role("heading", level=1)).to_have_text("Wie läuft es mit Ihrem Digitalisierungsvorhaben?")
    expect(business.get_by_role("radio", name="in Arbeit")).to_be_checked()
    expect(business.get_by_role("radio", name="umgesetzt")).not_to_be_checked()
    business.get_by_role("button", name="Antwort senden").click()
    expect(business.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihre Antwort")
    expect(business.get_by_role("status")).to_contain_text("„in Arbeit“")

    # Opening the link again shows the answer given; the link stays usable to change it.
    business.goto(link)
    expect(business.get_by_role("heading", level=1)).to_have_text("Wie läuft es mit Ihrem Digitalisierungsvorhaben?")
    expect(business.get_by_text("Ihre letzte Antwort vom")).to_contain_text("„in Arbeit“")

    scout: Page = new_page()
    log_in(scout, live_server.url, "scout")
    scout.goto(f"{live_server.url}/cases/{case_id}")
    timeline = scout.get_by_role("region", name="Verlauf")
    entry = timeline.get_by_role("listitem").filter(has_text="Betrieb hat geantwortet")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Der Betrieb hat auf „Wie läuft es?“ geantwortet: in Arbeit")
    expect(entry).to_contain_text("System")

    with live_server.app.app_context():
        kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
        waiting = db.session.scalars(select(Reminder.state).where(Reminder.case_id == case_id,
                                                                  Reminder.until_answer.is_(True))).all()
        db.session.remove()
    assert kinds.count("business_answered") == 1
    assert waiting == ["cancelled"]  # the "no answer yet" reminder is no longer needed
