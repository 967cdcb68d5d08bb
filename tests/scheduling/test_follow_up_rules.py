"""The follow-up rules fire when a case enters a state, including when it is first opened."""

import pytest
from sqlalchemy import select

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.scheduling.calendar import add_business_days
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage, Reminder
from tests.factories import add_check, make_case

pytestmark = pytest.mark.postgres  # due times in business days, nothing queued twice


def test_a_new_case_gets_the_contacted_reminder_in_three_business_days(app, users):
    case = make_case(users["scout"], "Malerbetrieb Neu")
    reminder = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id))
    assert reminder.title == "Termin für den Digitalisierungscheck vereinbaren"
    assert reminder.assignee_id == users["scout"].id and reminder.state == "open"
    opened = db.session.get(Case, case.id).opened_at
    assert reminder.due_at == add_business_days(opened, 3)
    assert db.session.get(Case, case.id).next_due_at == reminder.due_at


def _consenting_case(users):
    case = make_case(users["scout"], "Elektro Kowalski GmbH")
    case.business.email_consent = True
    case.business.consent_source = "Erstgespräch"
    db.session.commit()
    return case


def test_leaving_a_state_cancels_its_pending_follow_ups_with_a_timeline_entry(app, users):
    case = _consenting_case(users)
    add_check(case)
    workflow.move(case, "check_done", users["scout"])
    db.session.commit()
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.source_state == "check_done")).all()
    assert {row.template_key for row in pending} == {"check_results", "workshop_suggestions"}

    workflow.move(case, "withdrawn", users["scout"], reason="Kein Bedarf mehr")
    db.session.commit()
    assert {row.status for row in pending} == {"cancelled"}
    assert db.session.scalar(select(Reminder).where(Reminder.source_state == "check_done")).state == "cancelled"
    entry = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "follow_ups_cancelled")
                               .order_by(CaseEvent.id.desc())).first()
    assert "Der Fall hat „Check durchgeführt“ verlassen." in entry.text


def test_reopening_a_case_does_not_resend_what_was_already_sent(app, users, smtp_server):
    case = _consenting_case(users)
    add_check(case)
    workflow.move(case, "check_done", users["scout"])
    db.session.commit()
    dispatch_once()
    assert [m["Subject"] for m in smtp_server.messages if "Ergebnis" in m["Subject"]]
    sent_before = len(smtp_server.messages)

    workflow.move(case, "withdrawn", users["scout"], reason="Pause")
    workflow.move(case, "contacted", users["scout"], reason="Meldet sich wieder")
    workflow.move(case, "check_done", users["scout"])
    db.session.commit()
    dispatch_once()

    results = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template_key == "check_results")).all()
    assert [row.status for row in results] == ["sent"]  # one row, sent once, not queued again
    assert len(smtp_server.messages) == sent_before
    contacted = db.session.scalars(select(Reminder).where(Reminder.source_state == "contacted")).all()
    assert len(contacted) == 2  # reminders come back with the reopened state
