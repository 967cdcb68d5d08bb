"""A partner reports back from its referral mail in Chromium (no account, CSRF on); the scout sees the report, then
withdraws the referral, and the team lead corrects the case the notice points at. The pages pass axe-core."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.partners import services as partners
from app.partners.models import Partner
from app.reference.models import Topic
from app.scheduling.rules import seed_default_rules
from tests.browser.helpers import log_in, state_badge
from tests.browser.test_check_tablet import assert_accessible
from tests.conftest import ACCOUNTS
from tests.mailflow import advance, bodies, consenting_case, deliver, received

PARTNER = "Westfälische Hochschule"


def _referred_and_mailed(live_server, mail_server) -> tuple[int, str]:
    """A case referred to a partner whose mail has arrived; the case id and the mail's "Projekt gestartet" link."""
    with live_server.app.app_context():
        seed_default_rules()
        scout = db.session.scalar(select(User).where(User.email == ACCOUNTS["scout"][0]))
        case = consenting_case(scout)
        advance(case, "check_done", scout)
        partner = db.session.scalar(select(Partner).where(Partner.name == PARTNER))
        topic = db.session.scalar(select(Topic).where(Topic.key == "it_security"))
        partners.refer(case, partner, topic, True, "", scout, move_on=True)
        db.session.commit()
        deliver()
        case_id, email = case.id, partner.email
        db.session.remove()
    _text, html = bodies(received(mail_server, "Vermittlung: Tischlerei Brinkmann", to=email))
    link = re.search(r'<a href="([^"]+)"[^>]*>Projekt gestartet</a>', html).group(1)
    assert link.startswith(f"{live_server.url}/partner-answer/")
    return case_id, link


def test_partner_reports_from_the_mail_and_the_lead_corrects_after_a_withdrawal(live_server, mail_server, new_page):
    case_id, link = _referred_and_mailed(live_server, mail_server)

    partner: Page = new_page()
    partner.goto(link)
    expect(partner.get_by_role("heading", level=1)).to_have_text("Wie läuft die Vermittlung?")
    expect(partner.get_by_role("radio", name="Projekt gestartet")).to_be_checked()
    assert_accessible(partner, "partner's report page")
    partner.get_by_label("Notiz (freiwillig)").fill("Erstgespräch geführt, Angebot folgt.")
    partner.get_by_role("button", name="Rückmeldung senden").click()
    expect(partner.get_by_role("status")).to_contain_text("„Projekt gestartet“")
    partner.goto(link)  # the link works again within its lifetime, showing the last report
    expect(partner.get_by_text("Ihre letzte Rückmeldung")).to_contain_text("Projekt gestartet")

    scout: Page = new_page()
    log_in(scout, live_server.url, "scout")
    scout.goto(f"{live_server.url}/cases/{case_id}")
    referrals = scout.get_by_role("region", name="Vermittlungen")
    expect(referrals).to_contain_text("Rückmeldung des Partners")
    expect(referrals).to_contain_text("Erstgespräch geführt, Angebot folgt.")
    referrals.get_by_role("link", name=f"Zurückziehen (Vermittlung an {PARTNER})").click()
    scout.get_by_role("button", name="Vermittlung zurückziehen").click()
    expect(scout.get_by_label("Grund für das Zurückziehen")).to_have_accessible_description(
        "Bitte geben Sie einen Grund an.")
    assert_accessible(scout, "withdraw form with an error")
    scout.get_by_label("Grund für das Zurückziehen").fill("Falschen Betrieb ausgewählt")
    scout.get_by_role("button", name="Vermittlung zurückziehen").click()
    notice = scout.get_by_role("status").filter(has_text="passt nicht mehr zu den Einträgen")
    expect(notice).to_contain_text("Nur die Teamleitung kann den Fall")
    assert_accessible(scout, "case page with the correction notice")

    lead: Page = new_page()
    log_in(lead, live_server.url, "lead")
    lead.goto(f"{live_server.url}/cases/{case_id}")
    lead.get_by_role("button", name="Zurücksetzen auf „Check durchgeführt“").first.click()
    expect(state_badge(lead)).to_have_text("Check durchgeführt")
    expect(lead.get_by_text("passt nicht mehr zu den Einträgen")).to_have_count(0)
