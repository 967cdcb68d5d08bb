"""The caseload search: which cases a term finds, through indexes on SQLite and PostgreSQL alike.

A term finds a case when it occurs (case-insensitively, % and _ literal) in the business's name, its
municipality's name or its trade's name. The term is resolved in three steps:

1. Municipalities and trades are small tables: their matching ids are found in Python (str.lower, so
   "münster" finds "Münster" on both databases), and become `municipality_id IN (...)`/`trade_id IN (...)`.
2. Business names are searched through an index: on SQLite the FTS5 table `businesses_fts` (trigram
   tokenizer, kept in step with businesses.name by triggers, see the migration b3d4e5f6a7b8) queried as
   one phrase with MATCH (Unicode case folding; its LIKE would fold ASCII only), on PostgreSQL the pg_trgm
   GIN index `ix_businesses_name_trgm`, which serves `name ILIKE '%term%'`. A term shorter than three
   characters has no trigram: it is compared row by row (and stops at the limit).
3. Each of the three sources is read up to FEW + 1 businesses. When none has more than FEW, the search is
   "narrow": the cases are fetched by `business_id IN (those ids)` (ix_cases_business_id) and the few rows
   sorted. Otherwise it is "broad" (a trade, a municipality, a common name): the page walks the caseload's
   order index and probes every case's business (municipality or trade id, the name ids, or the name
   compared row by row), which stops after the page because matches are dense; the capped count reads
   the matching businesses from their indexes instead (see `counted`).

`cases_filter()` is what `app.cases.queries.caseload` adds to the page's query and `counted()` the capped
count's query; the order and the cap stay there.
"""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, column, false, func, literal_column, not_, or_, select, table, union_all
from sqlalchemy.orm import Session

from app.cases.models import Business, Case
from app.reference.models import Municipality, Trade

FEW = 2000  # a source with more matching businesses than this makes the search "broad"
TRIGRAM = 3  # the shortest term the trigram indexes can answer

# Schema objects the migration b3d4e5f6a7b8 creates outside the models (for the autogenerate comparison).
FTS_TABLE = "businesses_fts"
SEARCH_INDEXES = frozenset({"ix_businesses_name_trgm"})
# An expression index PostgreSQL reflects in its own words (casts, line breaks), so autogenerate would always see a
# change: its migration creates it, and tests/scheduling/test_query_plans.py shows both databases use it.
REWORDED_INDEXES = frozenset({"ix_outbox_attention"})

businesses_fts = table(FTS_TABLE, column("rowid"))


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic's include_name hook: the search's FTS5 tables and trigram index are not in the models (nor compared),
    and a reworded expression index is not compared."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False  # businesses_fts and its shadow tables (_data, _idx, _docsize, _config)
    return not (type_ == "index" and (name in SEARCH_INDEXES or name in REWORDED_INDEXES))


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards and the escape character escaped (use with escape="\\")."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(term: str) -> str:
    """The term as one FTS5 phrase: a substring match under the trigram tokenizer, nothing special inside."""
    return '"' + term.replace('"', '""') + '"'


@dataclass
class Resolved:
    """A term resolved against the small tables and the business-name index."""

    term: str
    municipality_ids: list[int] = field(default_factory=list)
    trade_ids: list[int] = field(default_factory=list)
    name_ids: list[int] = field(default_factory=list)  # the businesses found by name (when not names_many)
    business_ids: set[int] = field(default_factory=set)  # every matching business (when narrow)
    narrow: bool = True
    names_many: bool = False  # more than FEW businesses match by name


def _ids_matching(session: Session, model, needle: str) -> list[int]:
    """Ids of the small table's rows whose name contains the needle (lowercased), in Python."""
    return [row.id for row in session.execute(select(model.id, model.name)) if needle in row.name.lower()]


def name_condition(session: Session, term: str, business_name=Business.name) -> ColumnElement[bool]:
    """The business-name condition probed per row (no index): the broad search's walk, short terms.

    PostgreSQL: ILIKE (Unicode case folding under the database's ctype; the trigram index serves it where
    the planner wants). SQLite: instr(unicode_lower(name), lower(term)), because SQLite's LIKE folds ASCII
    only and the FTS5 trigram tokenizer folds Unicode; unicode_lower is registered on every connection.
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.instr(func.unicode_lower(business_name), term.lower()) > 0
    return business_name.ilike(like_pattern(term), escape="\\")


def _fts_match(term: str) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(fts_phrase(term))


def _names(session: Session, term: str, limit: int) -> list[int]:
    """Up to `limit` businesses whose name contains the term, read from the name index."""
    if session.get_bind().dialect.name == "sqlite" and len(term) >= TRIGRAM:
        query = select(businesses_fts.c.rowid).where(_fts_match(term))
    else:  # PostgreSQL's ILIKE uses the trigram index; a short term scans (and stops at the limit)
        query = select(Business.id).where(name_condition(session, term))
    return list(session.scalars(query.limit(limit)))


def resolve(session: Session, term: str) -> Resolved:
    """Municipality and trade ids, and (when narrow) every matching business id, each source capped."""
    found = Resolved(term=term.strip())
    needle = found.term.lower()
    found.municipality_ids = _ids_matching(session, Municipality, needle)
    found.trade_ids = _ids_matching(session, Trade, needle)
    names = _names(session, found.term, FEW + 1)
    found.names_many = len(names) > FEW
    found.narrow = not found.names_many
    if found.narrow:
        found.name_ids = names
        found.business_ids.update(names)
    for column_, ids in ((Business.municipality_id, found.municipality_ids), (Business.trade_id, found.trade_ids)):
        if ids and found.narrow:
            some = list(session.scalars(select(Business.id).where(column_.in_(ids)).limit(FEW + 1)))
            found.narrow = len(some) <= FEW
            found.business_ids.update(some)
    if not found.narrow:
        found.business_ids.clear()
    return found


def cases_filter(session: Session, found: Resolved) -> ColumnElement[bool]:
    """The condition the page's query adds (joined to the business when broad).

    Broad: the business columns are written as `column + 0`, so that no index can serve them and both
    planners walk the caseload's order index, probing each case's business; the walk stops after the page.
    """
    if found.narrow:
        return Case.business_id.in_(sorted(found.business_ids)) if found.business_ids else false()
    if found.names_many:
        by_name = name_condition(session, found.term)
    else:
        by_name = (Business.id + 0).in_(found.name_ids) if found.name_ids else false()
    return or_((Business.municipality_id + 0).in_(found.municipality_ids),
               (Business.trade_id + 0).in_(found.trade_ids), by_name)


def counted(session: Session, found: Resolved, cases: Select, limit: int) -> Select:
    """The ids (at most `limit`) the capped count reads; `cases` is the page's query before the search.

    Narrow: by business_id. Broad: the matching businesses are read from their indexes (municipality,
    trade; SQLite's MULTI-INDEX OR, PostgreSQL's BitmapOr or a merge join) and, when many match by name,
    a second branch streams the name index (FTS5 in rowid order; pg_trgm) for the businesses the first
    branch did not count. UNION ALL under the LIMIT stops as soon as the cap is reached.
    """
    if found.narrow:
        return cases.where(cases_filter(session, found)).with_only_columns(Case.id).limit(limit)
    cases = cases.join(Case.business)
    places = or_(Business.municipality_id.in_(found.municipality_ids), Business.trade_id.in_(found.trade_ids))
    if not found.names_many:
        by_name = Business.id.in_(found.name_ids) if found.name_ids else false()
        return cases.where(or_(places, by_name)).with_only_columns(Case.id).limit(limit)
    if session.get_bind().dialect.name == "sqlite" and len(found.term) >= TRIGRAM:
        named = cases.join(businesses_fts, businesses_fts.c.rowid == Business.id).where(_fts_match(found.term))
    else:
        named = cases.where(name_condition(session, found.term))
    # Each branch carries the limit too: without it PostgreSQL plans a branch for all its rows (a hash join of
    # every matching business, 290 ms for a trade at 1M) instead of a nested loop that stops (8 ms).
    branches = [query.with_only_columns(Case.id).limit(limit).subquery()
                for query in (cases.where(places), named.where(not_(places)))]
    both = union_all(*(select(branch.c.id) for branch in branches)).subquery()
    return select(both.c.id).limit(limit)
