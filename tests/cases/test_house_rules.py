"""The rules the state machine and the database hold whatever code runs: no state written around the
workflow, no unknown state stored, no missing guard, and what belongs to a case's owner follows it."""

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from app.cases import registry, workflow
from app.cases.models import Case
from app.extensions import db
from app.scheduling.models import Reminder
from tests.factories import make_case

pytestmark = pytest.mark.postgres


def test_a_bulk_update_of_the_state_is_refused(users):
    case = make_case(users["scout"])
    with pytest.raises(workflow.StateChangeRefused):
        db.session.execute(update(Case).where(Case.id == case.id).values(state="implemented"))
    db.session.rollback()
    with pytest.raises(workflow.StateChangeRefused):
        db.session.execute(update(Case), [{"id": case.id, "_state": "implemented"}])
    db.session.rollback()
    with pytest.raises(workflow.StateChangeRefused):
        db.session.execute(insert(Case.__table__).values(business_id=case.business_id, owner_id=case.owner_id,
                                                         state="referred"))
    db.session.rollback()
    assert db.session.get(Case, case.id).state == "contacted"


def test_other_bulk_updates_of_cases_still_work(users):
    case = make_case(users["scout"])
    db.session.execute(update(Case).where(Case.id == case.id).values(next_due_at=None))
    db.session.commit()
    assert db.session.get(Case, case.id).next_due_at is None


def test_the_database_refuses_an_unknown_state(users):
    case = make_case(users["scout"])
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE cases SET state = 'archived' WHERE id = :id"), {"id": case.id})
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE users SET role = 'superuser' WHERE id = :id"), {"id": users["scout"].id})
    db.session.rollback()


def test_a_move_whose_guard_was_never_registered_fails_loudly(app, users):
    case = make_case(users["scout"])
    guards = registry.current().guards
    saved = guards.pop("completed_check")
    try:
        with pytest.raises(KeyError):
            workflow.move(case, "check_done", users["scout"])
    finally:
        guards["completed_check"] = saved
        db.session.rollback()


def test_reassigning_a_case_moves_its_open_reminders_to_the_new_owner(client, login, users):
    case = make_case(users["scout"])
    opening = db.session.scalar(select(Reminder).where(Reminder.case_id == case.id))
    assert opening is not None and opening.assignee_id == users["scout"].id
    login("lead")
    response = client.post("/pipeline/reassign", data={"case_ids": [case.id], "new_owner": users["scout2"].id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Reminder, opening.id).assignee_id == users["scout2"].id
    left_behind = select(Reminder).where(Reminder.assignee_id == users["scout"].id, Reminder.state == "open")
    assert db.session.scalars(left_behind).all() == []


def test_every_event_kind_has_a_german_label(app):
    from app.cases.vocab import EventKind

    labels = registry.current().event_labels
    assert set(EventKind) <= set(labels)
    assert all(str(labels[kind]) != kind for kind in EventKind)
