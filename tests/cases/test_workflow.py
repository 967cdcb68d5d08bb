"""The state machine: every allowed move, every refused one with its message, and no other way in."""

import threading

import pytest
from sqlalchemy import select

from app.cases import workflow
from app.cases.models import Case, CaseEvent
from app.extensions import db
from tests.factories import RECORDS_FOR, bring_to, make_case

FORWARD = [m for m in workflow.MOVES if m.kind == "forward"]
WITH_REASON = [m for m in workflow.MOVES if m.needs_reason]


def _actor(move, users):
    return users["lead"] if move.who == {"lead"} else users["scout"]


@pytest.mark.postgres
@pytest.mark.parametrize("move", workflow.MOVES, ids=lambda m: f"{m.source}->{m.target}")
def test_every_allowed_move_changes_state_and_writes_the_timeline(app, users, move):
    case = bring_to(make_case(users["scout"]), move.source, users["scout"])
    for record in RECORDS_FOR.values():  # every guard satisfied
        record(case)
    actor = _actor(move, users)

    workflow.move(case, move.target, actor, reason="Grund für den Test")
    db.session.commit()

    stored = db.session.get(Case, case.id)
    assert stored.state == move.target
    entry = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "moved")
                               .order_by(CaseEvent.id.desc())).first()
    assert (entry.from_state, entry.to_state, entry.actor_id) == (move.source, move.target, actor.id)
    assert (stored.closed_at is not None) == (move.target == workflow.WITHDRAWN)


GUARD_MESSAGES = {
    "check_done": "Es liegt noch kein abgeschlossener Digitalisierungscheck vor",
    "workshop_attended": "Es ist keine Workshop-Teilnahme erfasst",
    "referred": "Es ist keine Vermittlung an einen Partner erfasst",
    "implemented": "Es ist keine umgesetzte Maßnahme erfasst",
}


@pytest.mark.parametrize("move", FORWARD, ids=lambda m: f"{m.source}->{m.target}")
def test_forward_move_without_its_record_is_refused_with_the_guards_message(app, users, move):
    case = bring_to(make_case(users["scout"]), move.source, users["scout"])
    with app.test_request_context(), pytest.raises(workflow.MoveRefused) as refused:
        workflow.move(case, move.target, users["scout"])
    assert GUARD_MESSAGES[move.target] in refused.value.message
    db.session.rollback()
    assert db.session.get(Case, case.id).state == move.source


@pytest.mark.parametrize("who", ["scout2", "admin"])
@pytest.mark.parametrize("move", [m for m in workflow.MOVES if m.kind != "correct"],
                         ids=lambda m: f"{m.source}->{m.target}")
def test_only_owner_or_lead_may_move(app, users, move, who):
    case = bring_to(make_case(users["scout"]), move.source, users["scout"])
    with app.test_request_context(), pytest.raises(workflow.MoveRefused) as refused:
        workflow.move(case, move.target, users[who], reason="Grund")
    assert "Nur der zuständige Scout oder die Teamleitung" in refused.value.message


@pytest.mark.parametrize("move", [m for m in workflow.MOVES if m.kind == "correct"],
                         ids=lambda m: f"{m.source}->{m.target}")
def test_only_the_lead_may_move_a_case_back(app, users, move):
    case = bring_to(make_case(users["scout"]), move.source, users["scout"])
    with app.test_request_context(), pytest.raises(workflow.MoveRefused) as refused:
        workflow.move(case, move.target, users["scout"], reason="Korrektur")
    assert "Nur die Teamleitung darf einen Fall zurücksetzen" in refused.value.message


@pytest.mark.parametrize("move", WITH_REASON, ids=lambda m: f"{m.source}->{m.target}")
def test_withdraw_reopen_and_corrections_need_a_reason(app, users, move):
    case = bring_to(make_case(users["scout"]), move.source, users["scout"])
    with app.test_request_context(), pytest.raises(workflow.MoveRefused) as refused:
        workflow.move(case, move.target, _actor(move, users), reason="   ")
    assert "Bitte geben Sie einen Grund an" in refused.value.message


UNDECLARED = [(s, t) for s in workflow.STATES for t in workflow.STATES
              if s != t and workflow.find_move(s, t) is None]


@pytest.mark.parametrize(("source", "target"), UNDECLARED)
def test_moves_outside_the_table_are_refused(app, users, source, target):
    case = bring_to(make_case(users["scout"]), source, users["scout"])
    for record in RECORDS_FOR.values():
        record(case)
    with app.test_request_context(), pytest.raises(workflow.MoveRefused) as refused:
        workflow.move(case, target, users["lead"], reason="Grund")
    assert "kann von" in refused.value.message and "nicht erreicht werden" in refused.value.message


def test_state_cannot_be_assigned_directly(app, users):
    case = make_case(users["scout"])
    with pytest.raises(AttributeError):
        case.state = "implemented"


@pytest.mark.postgres
def test_writing_the_state_column_outside_the_workflow_is_refused(app, users):
    case = make_case(users["scout"])
    case._state = "implemented"
    with pytest.raises(workflow.StateChangeRefused):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Case, case.id).state == "contacted"


@pytest.mark.postgres
def test_a_new_case_cannot_start_in_another_state(app, users):
    case = make_case(users["scout"])
    twin = Case(business_id=case.business_id, owner_id=users["scout"].id, _state="implemented")
    db.session.add(twin)
    with pytest.raises(workflow.StateChangeRefused):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres
def test_a_workflow_permission_is_used_up_by_one_flush(app, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    case._state = "implemented"
    with pytest.raises(workflow.StateChangeRefused):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres
def test_stale_version_from_the_form_is_a_conflict(app, users):
    case = bring_to(make_case(users["scout"]), "contacted", users["scout"])
    RECORDS_FOR["check_done"](case)
    loaded_version = case.version
    workflow.move(case, "check_done", users["lead"])
    db.session.commit()
    with app.test_request_context(), pytest.raises(workflow.Conflict) as conflict:
        workflow.move(case, workflow.WITHDRAWN, users["scout"], reason="zu spät", expected_version=loaded_version)
    assert "inzwischen geändert" in conflict.value.message


@pytest.mark.postgres
def test_two_people_moving_at_once_one_wins_the_other_gets_a_conflict(app, users):
    """Two threads, each with its own database session, load the same version and move at once."""
    case = make_case(users["scout"])
    RECORDS_FOR["check_done"](case)
    case_id, lead_id, scout_id = case.id, users["lead"].id, users["scout"].id
    db.session.remove()
    loaded = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(name: str, user_id: int, target: str, reason: str) -> None:
        with app.app_context(), app.test_request_context():
            mine = db.session.get(Case, case_id)
            actor = db.session.get(workflow.User, user_id)
            version = mine.version
            loaded.wait()
            try:
                workflow.move(mine, target, actor, reason=reason, expected_version=version)
                db.session.commit()
                outcomes[name] = "moved"
            except workflow.Conflict:
                outcomes[name] = "conflict"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=("lead", lead_id, "check_done", "")),
               threading.Thread(target=attempt, args=("scout", scout_id, workflow.WITHDRAWN, "kein Bedarf"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes.values()) == ["conflict", "moved"]
    stored = db.session.get(Case, case_id)
    winner = next(name for name, outcome in outcomes.items() if outcome == "moved")
    assert stored.state == ("check_done" if winner == "lead" else workflow.WITHDRAWN)
    moves = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "moved")).all()
    assert len(moves) == 1
