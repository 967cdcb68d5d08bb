"""The outbox page and /today read their order from an index (SQLite's EXPLAIN QUERY PLAN), and count without
joining cases or businesses."""

from app.scheduling import queries
from tests.cases.test_query_plans import plans_of, the_page_query
from tests.factories import make_case


def test_the_outbox_page_uses_an_index_for_newest_due_first(app, users):
    for status, index in ((None, "ix_outbox_due_id"), ("sent", "ix_outbox_status_due_id")):
        plans = plans_of(lambda status=status: queries.outbox_page(status, 2, 25).items)
        plan = the_page_query(plans, "outbox")
        assert any(index in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


def test_today_and_the_badge_count_on_the_reminders_index_alone(app, users):
    plans = plans_of(lambda: queries.due_for(users["scout"].id, 1, 25).items)
    counts = {statement: plan for statement, plan in plans.items() if "count(" in statement.lower()}
    assert len(counts) == 1, plans
    [(statement, plan)] = counts.items()
    assert "JOIN" not in statement.upper()
    assert any("ix_reminders_assignee_state_due" in step for step in plan), plan
    rows = the_page_query(plans, "reminders")
    assert not any("TEMP B-TREE" in step for step in rows), rows


def test_a_cases_reminders_are_read_by_the_case_not_by_every_open_reminder(app, users):
    case = make_case(users["scout"])
    plans = plans_of(lambda: queries.for_case(case.id))
    for statement, plan in plans.items():
        if "FROM reminders" in statement:
            assert any("ix_reminders_case_state_due" in step for step in plan), plan
