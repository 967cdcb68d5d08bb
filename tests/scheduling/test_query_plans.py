"""The outbox page and /today read their order from an index (SQLite's EXPLAIN QUERY PLAN), and count without
joining cases or businesses."""

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.scheduling import queries
from app.scheduling.models import ATTENTION, OutboxMessage
from tests.cases.test_query_plans import plans_of, the_page_query
from tests.factories import make_case


def test_the_outbox_page_uses_an_index_for_each_order(app, users):
    for view, index in ((queries.OPEN, "ix_outbox_attention"), (queries.ALL, "ix_outbox_due_id"),
                        ("sent", "ix_outbox_status_due_id"), ("pending", "ix_outbox_status_due_id")):
        plans = plans_of(lambda view=view: queries.outbox_page(view, 2, 25).items)
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


@pytest.mark.postgres
def test_postgresql_reads_the_default_outbox_order_from_its_index(app, backend):
    """EXPLAIN on PostgreSQL: failed and waiting mails first come from ix_outbox_attention without a sort (the
    planner is told to avoid sorts and sequential scans, as it would choose them at 1M rows for a deep page only)."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's plan")
    statement = (select(OutboxMessage.id).where(ATTENTION < 2)
                 .order_by(ATTENTION, OutboxMessage.due_at, OutboxMessage.id).limit(25))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_sort = off"))
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))
    db.session.rollback()
    assert "ix_outbox_attention" in plan and "Sort" not in plan, plan
