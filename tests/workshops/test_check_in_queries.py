"""The check-in reads in a fixed number of statements: a list of 30 businesses costs the SELECTs a list of 5 does;
only a case that moves on pays for its move (the state machine's guard and follow-up hooks)."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.auth.models import User
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.timeutil import utcnow
from app.transactions import unit_of_work
from app.workshops import attendance, registrations
from app.workshops.models import Attendance, Registration, Workshop
from tests.factories import add_check, bring_to, make_case
from tests.workshops.helpers import workshop

# What one move may read: today 7 (the guard asked by the milestone and by the move; the hooks' reads of the
# business's place, the open reminders, the pending mails, the follow-up rules and the funnel row), with room.
SELECTS_PER_MOVE = 10


def _list_of(n: int, owner: User, state: str = "contacted") -> tuple[Workshop, dict[int, str]]:
    """A workshop held an hour ago and its check-in list of n businesses: a third registered and there, a third
    registered and absent, a third walk-ins."""
    target = workshop(days=5, capacity=n)
    marks = {}
    for i in range(n):
        case = make_case(owner, f"Betrieb {n}-{i}")
        if state == "check_done":
            add_check(case)
            bring_to(case, state, owner)
        if i % 3 != 2:
            with unit_of_work():
                registrations.register(case, target)
        marks[case.id] = "no_show" if i % 3 == 0 else "attended"
    target.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return target, marks


def _selects_of_check_in(target: Workshop, marks: dict[int, str], actor: User) -> int:
    """Save the list in a fresh session (nothing cached) and count the SELECTs sent to the database."""
    workshop_id, actor_id = target.id, actor.id
    db.session.expire_all()
    selects = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with unit_of_work():
            attendance.check_in(db.session.get(Workshop, workshop_id), marks, db.session.get(User, actor_id), True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(selects)


def _attended(target: Workshop) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.workshop_id == target.id))


@pytest.mark.postgres
def test_a_check_in_of_30_businesses_reads_as_much_as_one_of_5(users):
    small, small_marks = _list_of(5, users["scout"])
    large, large_marks = _list_of(30, users["scout"])

    assert _selects_of_check_in(small, small_marks, users["scout"]) == _selects_of_check_in(
        large, large_marks, users["scout"])

    assert _attended(large) == 20
    statuses = dict(db.session.execute(select(Registration.case_id, Registration.status)
                                       .where(Registration.workshop_id == large.id)).all())
    assert statuses == {case_id: "no_show" if mark == "no_show" else "attended"
                        for case_id, mark in large_marks.items()}
    assert db.session.get(Workshop, large.id).places_taken == 30
    assert db.session.scalar(select(func.count()).where(
        CaseEvent.kind == "workshop_attended", CaseEvent.case_id.in_(list(large_marks)))) == 20


def test_a_check_in_that_moves_the_cases_pays_only_for_each_move(users):
    small, small_marks = _list_of(5, users["scout"], "check_done")
    large, large_marks = _list_of(30, users["scout"], "check_done")

    base = _selects_of_check_in(small, small_marks, users["scout"])
    extra = _selects_of_check_in(large, large_marks, users["scout"]) - base

    moved = 20 - 3  # the attended of each list
    assert extra <= moved * SELECTS_PER_MOVE
    states = db.session.execute(select(Case.state, func.count()).where(Case.id.in_(list(large_marks)))
                                .group_by(Case.state)).all()
    assert dict(states) == {"workshop_attended": 20, "check_done": 10}
