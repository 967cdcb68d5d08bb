"""The caseload reads its order from an index (SQLite's EXPLAIN QUERY PLAN): no sort of all cases per page."""

from collections.abc import Callable

from sqlalchemy import event

from app.cases import queries
from app.extensions import db
from tests.factories import make_case


def plans_of(run: Callable[[], object]) -> dict[str, list[str]]:
    """The SQLite plan of every SELECT that run() sends, by statement."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    connection = db.session.connection().connection.driver_connection
    return {statement: [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            for statement, parameters in statements}


def the_page_query(plans: dict[str, list[str]], table: str) -> list[str]:
    """The plan of the statement that reads the page's rows (it has the LIMIT; a capped count has one too)."""
    return next(plan for statement, plan in plans.items()
                if f"FROM {table}" in statement and "LIMIT" in statement and "count(" not in statement.lower())


def test_the_caseload_uses_its_index_for_the_order_mine_and_everyones(app, users):
    for i in range(3):
        make_case(users["scout"], name=f"Betrieb {i}")
    for owner_id, index in ((users["scout"].id, "ix_cases_owner_due_order"), (None, "ix_cases_due_order")):
        plans = plans_of(lambda owner_id=owner_id: queries.caseload(owner_id, None, "", 2, 25).items)
        plan = the_page_query(plans, "cases")
        # The page's ids come from the index alone; only the page's rows are read from the table.
        assert any(f"COVERING INDEX {index}" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
        # The pager's total comes from the read model: no COUNT over cases.
        assert not any("count(" in statement.lower() and "FROM cases" in statement for statement in plans), plans


def test_a_search_counts_at_most_a_thousand_and_one(app, users):
    make_case(users["scout"], name="Bäckerei Suchtreffer")
    for state in (None, "contacted"):  # the chips' capped read of the matches; a chosen state's own capped count
        plans = plans_of(lambda state=state: queries.caseload(None, state, "Suchtreffer", 1, 25))
        reads = [statement for statement in plans if "FROM cases" in statement]
        assert reads and all("LIMIT" in statement or "cases.id IN" in statement for statement in reads), reads
        assert state is None or any("count(" in statement.lower() and "LIMIT" in statement for statement in reads)


def test_a_search_beyond_the_cap_says_more_than_a_thousand_in_german(app, users, client, login, monkeypatch):
    for i in range(3):
        make_case(users["scout"], name=f"Bäckerei Treffer {i}")
    login("scout")
    exact = client.get("/cases?q=Treffer").get_data(as_text=True)
    assert "3 Treffer." in exact
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    page = queries.caseload(None, None, "Treffer", 1, 25)
    assert (page.capped, page.total, len(page.items)) == (True, 3, 3)
    capped = client.get("/cases?q=Treffer").get_data(as_text=True)
    assert "Mehr als 1.000 Treffer" in capped
