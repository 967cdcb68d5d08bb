"""The follow-up rules fire when a case enters a state, including when it is first opened."""

from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.scheduling.calendar import add_business_days
from app.scheduling.models import Reminder
from tests.factories import make_case


def test_a_new_case_gets_the_contacted_reminder_in_three_business_days(app, users):
    case = make_case(users["scout"], "Malerbetrieb Neu")
    reminder = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id))
    assert reminder.title == "Termin für den Digitalisierungscheck vereinbaren"
    assert reminder.assignee_id == users["scout"].id and reminder.state == "open"
    opened = db.session.get(Case, case.id).opened_at
    assert reminder.due_at == add_business_days(opened, 3)
    assert db.session.get(Case, case.id).next_due_at == reminder.due_at
