"""The follow-up rules page: grouped by state in German, edited, added, switched off and on, validated."""

import pytest
from sqlalchemy import func, select

from app.cases import workflow
from app.extensions import db
from app.scheduling.calendar import add_business_days
from app.scheduling.models import FollowUpRule, Reminder
from tests.factories import make_case


def _rule(state: str, action: str = "reminder") -> FollowUpRule:
    return db.session.scalar(select(FollowUpRule).where(FollowUpRule.state == state, FollowUpRule.action == action)
                             .order_by(FollowUpRule.id))


def _reenter_contacted(users):
    """A case that enters "contacted" through a move (withdrawn and reopened), so the rules apply."""
    case = make_case(users["scout"])
    workflow.move(case, "withdrawn", users["scout"], reason="Keine Zeit")
    entry = workflow.move(case, "contacted", users["scout"], reason="Meldet sich wieder")
    db.session.commit()
    return case, entry


def _form(**changes) -> dict:
    data = {"state": "contacted", "action": "reminder", "delay_days": "3", "title": "Termin vereinbaren",
            "template_key": "", "active": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_lead_sees_the_rules_grouped_by_state_with_type_and_legal_basis(client, login):
    login("lead")
    page = client.get("/rules").get_data(as_text=True)
    assert "Nachfass-Regeln" in page
    order = [page.index(f"Beim Eintritt in „{label}“") for label in (
        "Kontakt aufgenommen", "Check durchgeführt", "Workshop besucht", "Vermittelt", "Umgesetzt")]
    assert order == sorted(order)
    assert "3 Arbeitstagen" in page and "sofort" in page and "120 Arbeitstagen" in page
    assert "Termin für den Digitalisierungscheck vereinbaren" in page
    assert "Check-Ergebnis mit Empfehlungen" in page and "Serviceinformation" in page
    assert "Einwilligung des Betriebs in E-Mails (Art. 6 Abs. 1 lit. a DSGVO)" in page
    assert "Einwilligung des Betriebs in die Weitergabe seiner Daten an den Partner" in page
    assert "nur solange der Betrieb nicht geantwortet hat" in page


def test_an_edited_delay_applies_to_moves_from_then_on(client, login, users):
    rule = _rule("contacted")
    login("lead")
    response = client.post(f"/rules/{rule.id}/edit", data=_form(delay_days="5", title="Check-Termin festmachen"))
    assert response.status_code == 302
    assert "Die Regel ist gespeichert." in client.get("/rules").get_data(as_text=True)
    case, entry = _reenter_contacted(users)
    reminder = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id))
    assert reminder.title == "Check-Termin festmachen"
    assert reminder.due_at == add_business_days(entry.created_at, 5)


def test_a_switched_off_rule_schedules_nothing_until_switched_on_again(client, login, users):
    rule = _rule("contacted")
    login("lead")
    client.post(f"/rules/{rule.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(FollowUpRule, rule.id).active is False
    assert "ausgeschaltet" in client.get("/rules").get_data(as_text=True)
    case, _entry = _reenter_contacted(users)
    assert db.session.scalar(select(func.count()).where(Reminder.case_id == case.id)) == 0
    client.post(f"/rules/{rule.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(FollowUpRule, rule.id).active is True


def test_the_lead_adds_an_email_rule(client, login):
    login("lead")
    assert "Neue Nachfass-Regel" in client.get("/rules/new").get_data(as_text=True)
    response = client.post("/rules/new", data=_form(state="workshop_attended", action="email_business",
                                                    delay_days="20", title="wird ignoriert",
                                                    template_key="recheck_invitation"))
    assert response.status_code == 302
    rule = db.session.scalar(select(FollowUpRule).order_by(FollowUpRule.id.desc()))
    assert (rule.state, rule.action, rule.delay_days, rule.template_key, rule.title, rule.active) == (
        "workshop_attended", "email_business", 20, "recheck_invitation", "", True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"delay_days": "366"}, "Die Verzögerung muss zwischen 0 und 365 Arbeitstagen liegen."),
    ({"delay_days": "-1"}, "Die Verzögerung muss zwischen 0 und 365 Arbeitstagen liegen."),
    ({"delay_days": ""}, "Bitte geben Sie die Verzögerung in Arbeitstagen an."),
    ({"title": "  "}, "Eine Wiedervorlage braucht einen Titel."),
    ({"action": "email_business", "template_key": ""}, "Bitte wählen Sie eine Vorlage für E-Mails an Betriebe."),
    ({"action": "email_business", "template_key": "referral_partner"},
     "Bitte wählen Sie eine Vorlage für E-Mails an Betriebe."),
    ({"action": "email_partner", "template_key": "check_results"},
     "Bitte wählen Sie die Vorlage für E-Mails an Partner."),
    ({"action": "email_business", "template_key": "intake_confirmed"},  # needs a request, not a rule
     "Bitte wählen Sie eine Vorlage für E-Mails an Betriebe."),
])
def test_bad_rule_input_is_refused_in_german_and_nothing_changes(client, login, changes, message):
    rule = _rule("contacted")
    before = (rule.delay_days, rule.title, rule.action, rule.template_key)
    count = db.session.scalar(select(func.count()).select_from(FollowUpRule))
    login("lead")
    response = client.post(f"/rules/{rule.id}/edit", data=_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'aria-invalid="true"' in page
    assert client.post("/rules/new", data=_form(**changes)).status_code == 422
    db.session.expire_all()
    rule = db.session.get(FollowUpRule, rule.id)
    assert (rule.delay_days, rule.title, rule.action, rule.template_key) == before
    assert db.session.scalar(select(func.count()).select_from(FollowUpRule)) == count


def test_the_edit_form_shows_the_rule(client, login):
    rule = _rule("referred", "email_partner")
    login("lead")
    page = client.get(f"/rules/{rule.id}/edit").get_data(as_text=True)
    assert "Nachfass-Regel bearbeiten" in page
    assert '<option selected value="email_partner">E-Mail an den Partner</option>' in page
    assert '<option selected value="referral_partner">' in page


def test_rules_link_in_the_navigation_for_lead_and_admin_only(client, login):
    login("scout")
    assert 'href="/rules"' not in client.get("/cases").get_data(as_text=True)
    login("lead")
    page = client.get("/pipeline").get_data(as_text=True)
    assert 'href="/rules"' in page and 'href="/outbox"' in page
    login("admin")
    page = client.get("/workshops").get_data(as_text=True)
    assert 'href="/rules"' in page and 'href="/outbox"' not in page
