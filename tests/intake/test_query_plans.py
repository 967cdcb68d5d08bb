"""The confirmation's look-ups read indexes (SQLite's EXPLAIN QUERY PLAN), never all businesses or requests: the
district holds some 30,000 businesses and the cases run to a million."""

from app.intake.services import delete_expired, existing_business, open_case_of
from tests.cases.test_query_plans import plans_of
from tests.factories import make_case
from tests.intake.conftest import latest_request, send


def _steps(plans: dict[str, list[str]], table: str) -> list[str]:
    return [step for statement, plan in plans.items() if f"FROM {table}" in statement for step in plan]


def test_finding_the_known_business_and_its_open_case_uses_indexes(app, users, client):
    case = make_case(users["scout"])
    send(client)
    row = latest_request()
    plans = plans_of(lambda: (existing_business(row), open_case_of(case.business)))
    steps = _steps(plans, "businesses") + _steps(plans, "cases")
    assert any("ix_businesses_email" in step for step in steps), steps
    assert any("ix_businesses_postcode" in step for step in steps), steps
    assert any("ix_cases_business_id" in step for step in steps), steps
    assert not any(step.startswith("SCAN businesses") or step.startswith("SCAN cases") for step in steps), steps


def test_the_cleanup_finds_the_expired_requests_by_its_index(app, client):
    send(client)
    plans = plans_of(delete_expired)
    steps = _steps(plans, "check_requests")
    assert any("ix_check_requests_pending_expiry" in step for step in steps), steps
