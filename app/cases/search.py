"""The caseload search: which cases a term finds, through indexes on SQLite and PostgreSQL alike.

A term finds a case when it occurs (case-insensitively, % and _ literal) in the business's name, its
municipality's name or its trade's name. The term is resolved in three steps:

1. Municipalities and trades are small tables: their matching ids are found in Python (str.casefold, so
   "münster" finds "Münster" on both databases), and become `municipality_id IN (...)`/`trade_id IN (...)`.
2. Business names are searched through an index: on SQLite the FTS5 table `businesses_fts` (trigram
   tokenizer, kept in step with businesses.name by triggers, see the migration b3d4e5f6a7b8), on PostgreSQL
   the pg_trgm GIN index `ix_businesses_name_trgm`, which serves `name ILIKE '%term%'`. A term shorter than
   three characters has no trigram: it falls back to a plain LIKE over businesses.
3. Each of the three sources is read up to FEW + 1 businesses. When none has more than FEW, the search is
   "narrow": the cases are fetched by `business_id IN (those ids)` (ix_cases_business_id) and the few rows
   sorted. Otherwise it is "broad" (a trade, a municipality, a common name): the caseload's order index is
   walked and every case's business probed (municipality or trade id, or the name condition), which stops
   after a page, because at least FEW businesses in every million match.

`cases_filter()` returns what `app.cases.queries.caseload` adds to its query; the order and the capped
count stay there.
"""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, column, false, literal_column, or_, select, table
from sqlalchemy.orm import Session

from app.cases.models import Business, Case
from app.reference.models import Municipality, Trade

FEW = 2000  # a source with more matching businesses than this makes the search "broad"
TRIGRAM = 3  # the shortest term the trigram indexes can answer

# Schema objects the migration b3d4e5f6a7b8 creates outside the models (for the autogenerate comparison).
FTS_TABLE = "businesses_fts"
SEARCH_INDEXES = frozenset({"ix_businesses_name_trgm"})

businesses_fts = table(FTS_TABLE, column("rowid"))


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic's include_name hook: the search's FTS5 tables and trigram index are not in the models."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False  # businesses_fts and its shadow tables (_data, _idx, _docsize, _config)
    return not (type_ == "index" and name in SEARCH_INDEXES)


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
    """Ids of the small table's rows whose name contains the needle (casefolded), in Python."""
    return [row.id for row in session.execute(select(model.id, model.name)) if needle in row.name.casefold()]


def name_condition(session: Session, term: str, business_id=Business.id) -> ColumnElement[bool]:
    """The business-name condition for one row (the broad search probes it per case)."""
    if session.get_bind().dialect.name == "sqlite" and len(term) >= TRIGRAM:
        return business_id.in_(
            select(businesses_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(fts_phrase(term))))
    return Business.name.ilike(like_pattern(term), escape="\\")


def _names(session: Session, term: str, limit: int) -> list[int]:
    """Up to `limit` businesses whose name contains the term, read from the name index."""
    if session.get_bind().dialect.name == "sqlite" and len(term) >= TRIGRAM:
        query = select(businesses_fts.c.rowid).where(
            literal_column(FTS_TABLE).op("MATCH")(fts_phrase(term)))
    else:  # PostgreSQL's ILIKE uses the trigram index; a short term scans (and stops at the limit)
        query = select(Business.id).where(Business.name.ilike(like_pattern(term), escape="\\"))
    return list(session.scalars(query.limit(limit)))


def resolve(session: Session, term: str) -> Resolved:
    """Municipality and trade ids, and (when narrow) every matching business id, each source capped."""
    found = Resolved(term=term.strip())
    needle = found.term.casefold()
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


def cases_filter(session: Session, found: Resolved, walk: bool = False) -> ColumnElement[bool]:
    """The condition on cases (joined to their business when broad) that the search adds.

    walk=True (the page of a broad search) writes the business columns as `column + 0`: no index can serve
    them, so both planners walk the caseload's order index and probe each case's business, which stops after
    the page. walk=False (the capped count) leaves them indexable: SQLite's MULTI-INDEX OR and PostgreSQL's
    BitmapOr read the matching businesses from their indexes and stop at the cap.
    """
    if found.narrow:
        if not found.business_ids:
            return false()
        return Case.business_id.in_(sorted(found.business_ids))

    def probe(column_):
        return column_ + 0 if walk else column_

    if found.names_many:
        by_name = name_condition(session, found.term, probe(Business.id))
    else:
        by_name = probe(Business.id).in_(found.name_ids) if found.name_ids else false()
    return or_(probe(Business.municipality_id).in_(found.municipality_ids),
               probe(Business.trade_id).in_(found.trade_ids), by_name)
