"""A referral recorded by mistake is withdrawn with a reason (kept, never deleted, no longer counting); when the
case's state then lacks its record, the case page says so and offers the team lead the correction back."""

import pytest
from sqlalchemy import func, select, update

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.partners import answers
from app.partners.models import Partner, Referral
from app.partners.services import PartnerError, has_referral, withdraw
from app.reference.models import Topic
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import utcnow
from tests.factories import add_attendance, add_referral, bring_to, make_case

REASON = "Versehentlich beim falschen Betrieb erfasst"


def _refer(client, case: Case, partner="Westfälische", topic="it_security", move_on=True) -> Referral:
    partner_id = db.session.scalar(select(Partner.id).where(Partner.name.contains(partner)))
    topic_id = db.session.scalar(select(Topic.id).where(Topic.key == topic))
    client.post(f"/cases/{case.id}/referrals", data={
        "partner_id": partner_id, "topic_id": topic_id, "consent": "y", **({"move_on": "y"} if move_on else {})})
    return db.session.scalar(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id.desc()))


def _events(case: Case, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


@pytest.mark.postgres
def test_a_withdrawn_referral_is_kept_with_its_reason_and_no_longer_counts(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    referral = _refer(client, case)
    assert db.session.get(Case, case.id).state == "referred"
    pending = db.session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                            OutboxMessage.audience == "partner"))
    assert pending.status == "pending"

    form = client.get(f"/referrals/{referral.id}/withdraw").get_data(as_text=True)
    assert "Westfälische Hochschule" in form and "Grund für das Zurückziehen" in form
    response = client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Die Vermittlung ist zurückgezogen." in page and REASON in page and "zurückgezogen" in page

    referral = db.session.get(Referral, referral.id)
    assert referral.withdrawn_at is not None and referral.withdrawn_by_id == users["scout"].id
    assert referral.withdraw_reason == REASON
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1  # never deleted
    [event] = _events(case, "referral_withdrawn")
    assert event.text == REASON and event.data["referral_id"] == referral.id
    assert not has_referral(db.session.get(Case, case.id))
    assert db.session.get(OutboxMessage, pending.id).status == "cancelled"
    key = f"referral:{referral.id}:partner-answer"
    assert db.session.scalar(select(Reminder.state).where(Reminder.unique_key == key)) == "cancelled"
    assert "Zurückziehen" not in page.split("referrals-panel-heading", 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(("data", "message"), [
    ({"reason": ""}, "Bitte geben Sie einen Grund an."),
    ({"reason": "   "}, "Bitte geben Sie einen Grund an."),
    ({"reason": "x" * 5001}, "Höchstens 5000 Zeichen."),
])
def test_withdrawing_without_a_proper_reason_is_refused_and_nothing_changes(client, login, users, data, message):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    referral = _refer(client, case)
    response = client.post(f"/referrals/{referral.id}/withdraw", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).withdrawn_at is None and _events(case, "referral_withdrawn") == []


def test_only_the_case_owner_or_the_lead_may_withdraw_and_only_once(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    referral = _refer(client, case)
    login("scout2")
    response = client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON})
    assert response.status_code == 422
    assert "Nur die zuständige Person oder die Teamleitung darf eine Vermittlung zurückziehen." in response.get_data(
        as_text=True)
    assert db.session.get(Referral, referral.id).withdrawn_at is None
    login("lead")
    assert client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON}).status_code == 302
    again = client.post(f"/referrals/{referral.id}/withdraw", data={"reason": "Noch einmal"})
    assert again.status_code == 422 and "Diese Vermittlung wurde bereits zurückgezogen." in again.get_data(as_text=True)
    assert len(_events(case, "referral_withdrawn")) == 1
    assert client.get("/referrals/2147483647/withdraw").status_code == 404
    assert client.get("/referrals/99999999999999999999/withdraw").status_code == 404


def test_the_case_page_says_when_its_state_lacks_its_record_and_the_lead_corrects_it(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    referral = _refer(client, case)
    assert "passt nicht mehr zu den Einträgen" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON})

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Der Status „Vermittelt“ passt nicht mehr zu den Einträgen" in page
    assert "Es ist keine Vermittlung an einen Partner erfasst." in page
    assert "Nur die Teamleitung kann den Fall auf „Check durchgeführt“ zurücksetzen" in page

    login("lead")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Zurücksetzen auf „Check durchgeführt“</button>" in page.split("unmet-heading", 1)[1]
    version = db.session.get(Case, case.id).version
    client.post(f"/cases/{case.id}/move", data={"target": "check_done", "version": version,
                                                "reason": "Vermittlung war ein Versehen"})
    case = db.session.get(Case, case.id)
    assert case.state == "check_done"
    assert "passt nicht mehr zu den Einträgen" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    [moved] = [e for e in _events(case, "moved") if e.data.get("move") == "correct"]
    assert moved.text == "Vermittlung war ein Versehen" and moved.actor_id == users["lead"].id


def test_the_correction_goes_back_to_the_latest_state_whose_record_still_holds(app, users, client, login):
    case = bring_to(make_case(users["scout"]), "workshop_attended", users["scout"])
    login("scout")
    referral = _refer(client, case)
    client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON})
    unmet = workflow.unmet(db.session.get(Case, case.id))
    assert unmet.correction.target == "workshop_attended" and unmet.correction.kind == "correct"
    add_attendance(case)  # another record does not bring the referral back
    assert workflow.unmet(db.session.get(Case, case.id)) is not None


def test_a_second_valid_referral_keeps_the_state_standing(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    first = _refer(client, case)
    _refer(client, case, partner="Mittelstand-Digital Zentrum Handwerk", topic="e_invoicing")
    client.post(f"/referrals/{first.id}/withdraw", data={"reason": REASON})
    assert workflow.unmet(db.session.get(Case, case.id)) is None
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "passt nicht mehr zu den Einträgen" not in page


@pytest.mark.postgres
def test_of_two_withdrawals_at_once_only_one_counts(app, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    referral = add_referral(case)
    # Another request withdrew it after this one loaded the referral (its object still says "not withdrawn").
    db.session.execute(update(Referral).where(Referral.id == referral.id)
                       .values(withdrawn_at=utcnow(), withdraw_reason="zuerst")
                       .execution_options(synchronize_session=False))
    assert referral.withdrawn_at is None
    with pytest.raises(PartnerError, match="bereits zurückgezogen"):
        withdraw(referral, users["lead"], "gleichzeitig")
    db.session.rollback()
    assert _events(case, "referral_withdrawn") == []


@pytest.mark.postgres
def test_a_referral_withdrawn_while_the_partner_answers_takes_no_answer(app, users):
    referral = add_referral(make_case(users["scout"]))
    db.session.execute(update(Referral).where(Referral.id == referral.id).values(withdrawn_at=utcnow())
                       .execution_options(synchronize_session=False))
    with pytest.raises(answers.AnswerLinkError) as raised:
        answers.record(referral, "contacted", "")
    assert raised.value.kind == "withdrawn"
    db.session.rollback()
    assert db.session.get(Referral, referral.id).answer is None
