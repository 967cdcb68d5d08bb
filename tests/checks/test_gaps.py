"""The workshop invitation list's read model of each case's weakest dimensions (app.checks.gaps): kept with the
summary (a re-check replaces the first check's gaps), equal to a rebuild, and read through its index."""

import pytest
from sqlalchemy import select

from app.checks import gaps
from app.checks import questionnaire as qn
from app.checks.models import CaseGap
from app.extensions import db
from tests.cases.test_query_plans import plans_of
from tests.reports.funder_data import _case, _check, berlin


def _rows() -> set[tuple]:
    return set(db.session.execute(select(CaseGap.case_id, CaseGap.dimension, CaseGap.questionnaire_version,
                                         CaseGap.score)).all())


def test_the_weakest_are_those_with_fewer_than_two_lower():
    assert gaps.weakest([("a", 10.0), ("b", 20.0), ("c", 20.0), ("d", 30.0), ("dma:x", 0.0), ("e", None)]) == [
        ("a", 10.0), ("b", 20.0), ("c", 20.0)]


@pytest.mark.postgres
def test_gaps_follow_the_current_check_and_equal_a_rebuild(app, users, backend):
    keys = [d.key for d in qn.load("v2").dimensions]
    first, second = keys[0], keys[1]
    case = _case(users, "Gaps", 5, "Tischler", "Gelsenkirchen")
    _check(case, "t0", berlin(2026, 1, 5, 10, 0), {k: 10.0 if k == first else 60.0 for k in keys})
    assert (case.id, first, "v2", 10.0) in _rows()
    _check(case, "t1", berlin(2026, 6, 5, 10, 0), {k: 20.0 if k == second else 80.0 for k in keys})
    assert (case.id, second, "v2", 20.0) in _rows() and (case.id, first, "v2", 10.0) not in _rows()
    kept = _rows()
    gaps.rebuild(db.session.connection())
    db.session.commit()
    assert _rows() == kept
    topic = qn.load("v2").dimensions[1].topics[0]
    found = db.session.execute(gaps.weak_cases({topic})).all()
    assert (case.id, 20.0) in [tuple(row) for row in found]
    if backend == "sqlite":
        plans = plans_of(lambda: db.session.execute(gaps.weak_cases({topic})).all())
        assert any("ix_case_gaps_dimension" in line for lines in plans.values() for line in lines)
