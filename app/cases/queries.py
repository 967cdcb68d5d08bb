"""Read-side queries for the caseload and the case page: joins and aggregates, never a query per row."""

from collections import Counter

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, select

from app.cases import readmodel
from app.cases import search as search_index
from app.cases.models import Case, CaseEvent
from app.counting import count_upto
from app.extensions import db

SEARCH_COUNT_CAP = 1000  # a search counts this far and then says "more than 1,000"


class IdsFirstPagination(SelectPagination):
    """A page of cases found in two steps: the page's ids through the order's index alone (an index-only scan
    that skips OFFSET rows without touching the table), then only those cases with their business, trade,
    municipality and owner. A deep page of one big list cost one random table read per skipped row."""

    def _query_items(self) -> list[Case]:
        ids = list(db.session.scalars(self._query_args["select"].with_only_columns(Case.id)
                                      .limit(self.per_page).offset(self._query_offset)))
        if not ids:
            return []
        cases = {case.id: case for case in db.session.scalars(select(Case).where(Case.id.in_(ids)))}
        return [cases[case_id] for case_id in ids]


def page_of_cases(query: Select, page: int, per_page: int) -> IdsFirstPagination:
    """One page of a select(Case) with its order (no count: the caller sets `total` from a read model)."""
    return IdsFirstPagination(select=query, session=db.session, page=page, per_page=per_page,
                              error_out=False, max_per_page=100, count=False)


def caseload(owner_id: int | None, state: str | None, search: str, page: int, per_page: int):
    """One page of cases, soonest follow-up first (cases without one last), with `counts` per state.

    The order is written as `next_due_at IS NULL, next_due_at, id` (NULLS LAST that both databases read
    from ix_cases_owner_due_order / ix_cases_due_order). Without a search the counts per state (the status
    chips) and the pager's total are the read model's. With a search both are the search's: counted up to
    SEARCH_COUNT_CAP + 1 rows (`page.capped` then says there are more; `counts_capped` that the chips' counts
    are those of the first matches only). The search's condition comes from app.cases.search (municipality and
    trade resolved to ids, business names through the FTS5/pg_trgm index); a broad search joins the business to
    probe it. The page's ids come first, then its rows (IdsFirstPagination).
    """
    query = _owned(owner_id)
    if state:
        query = query.where(Case.state == state)
    searching = bool(search.strip())
    if searching:
        found = search_index.resolve(db.session, search)
        counts = search_counts(owner_id, found)
        # A chosen state counts its own matches (the chips stop with the first matches of all states).
        total = (count_upto(search_index.counted(db.session, found, query, SEARCH_COUNT_CAP + 1), SEARCH_COUNT_CAP)
                 if state else sum(counts.values()))
        if not found.narrow:
            query = query.join(Case.business)
        query = query.where(search_index.cases_filter(db.session, found))
    else:
        counts = counts_by_state(owner_id)
        total = counts.get(state, 0) if state else sum(counts.values())
    query = query.order_by(Case.next_due_at.is_(None), Case.next_due_at, Case.id)
    result = page_of_cases(query, page, per_page)
    result.counts = counts
    result.counts_capped = searching and sum(counts.values()) > SEARCH_COUNT_CAP
    result.capped = searching and total > SEARCH_COUNT_CAP
    result.total = min(total, SEARCH_COUNT_CAP + 1) if searching else total
    return result


def _owned(owner_id: int | None) -> Select:
    query = select(Case)
    return query.where(Case.owner_id == owner_id) if owner_id else query


def counts_by_state(owner_id: int | None) -> dict[str, int]:
    """Cases per state, all or one owner's: a few rows of the read model."""
    return readmodel.per_state(owner_id=owner_id)


def search_counts(owner_id: int | None, found: search_index.Resolved) -> dict[str, int]:
    """Cases per state among the first SEARCH_COUNT_CAP + 1 that the search finds (all or one owner's): one capped
    read of the matches (app.cases.search.counted, which stops at the cap), then their states by primary key. Exact
    while their sum is at most SEARCH_COUNT_CAP; beyond, the chips show no per-state numbers."""
    ids = list(db.session.scalars(search_index.counted(db.session, found, _owned(owner_id), SEARCH_COUNT_CAP + 1)))
    if not ids:
        return {}
    # Two steps: inside a join PostgreSQL planned the capped read for all its matches (3x slower at 100k cases).
    return dict(Counter(db.session.scalars(select(Case.state).where(Case.id.in_(ids)))))


def timeline(case_id: int, page: int, per_page: int = 50):
    """The case's timeline, newest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(
        CaseEvent.created_at.desc(), CaseEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
