"""The team lead's pipeline: aggregate counts and the reassignment of cases.

Every table comes from the cases' read model (app.cases.readmodel: counts per owner, municipality,
trade group and state, kept in the same transaction as each change), a GROUP BY over a few rows;
names are joined in Python from the small lists of scouts and municipalities. The case list's pager
takes its total from the same table, since each of its filters is one of the read model's columns.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User
from app.cases import queries, readmodel
from app.cases import services as case_services
from app.cases.models import Business, Case, CaseCount
from app.cases.workflow import STATES, Conflict
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality

PAGE_SIZE = 25


@dataclass
class Row:
    """One row of a cross table: a scout or a municipality with its cases per state."""

    key: int
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class CrossTable:
    rows: list[Row]
    column_totals: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.column_totals.values())


@dataclass(frozen=True)
class CaseFilter:
    owner_id: int | None = None
    state: str | None = None
    municipality_id: int | None = None

    def as_args(self) -> dict[str, int | str]:
        """The filter as query-string arguments (for links and redirects)."""
        args = {"owner": self.owner_id, "state": self.state, "municipality": self.municipality_id}
        return {key: value for key, value in args.items() if value}


class ReassignRefused(DomainError):
    """The reassignment is not possible; the message (German) says why. Nothing was changed."""


def counts_per_state() -> dict[str, int]:
    """How many cases are in each state (every state present, zero when empty)."""
    result = dict.fromkeys(STATES, 0)
    result.update(readmodel.per_state())
    return result


def municipalities() -> list[Municipality]:
    return list(db.session.scalars(select(Municipality).order_by(Municipality.name)))


def _cross_table(counts: Iterable[tuple[int, str, int]], labels: dict[int, str]) -> CrossTable:
    rows = {key: Row(key, label, dict.fromkeys(STATES, 0)) for key, label in labels.items()}
    totals = dict.fromkeys(STATES, 0)
    for key, state, count in counts:
        rows.setdefault(key, Row(key, "?", dict.fromkeys(STATES, 0))).counts[state] = count
        totals[state] = totals.get(state, 0) + count
    return CrossTable(sorted(rows.values(), key=lambda row: row.label.lower()), totals)


def per_scout(scouts: list[User]) -> CrossTable:
    """Cases per owner and state; active scouts without cases get a row of zeros."""
    counts = readmodel.counts([CaseCount.owner_id, CaseCount.state])
    labels = {user.id: user.name for user in scouts}
    missing = {owner_id for owner_id, _state, _n in counts} - labels.keys()
    if missing:  # cases of a disabled account or of the lead: still shown, named in one query
        labels.update((user_id, name if active else _("%(name)s (inactive)", name=name)) for user_id, name, active
                      in db.session.execute(select(User.id, User.name, User.active).where(User.id.in_(missing))))
    return _cross_table(counts, labels)


def per_municipality(towns: list[Municipality]) -> CrossTable:
    """Cases per municipality of the business and state; every municipality of the region is a row."""
    counts = readmodel.counts([CaseCount.municipality_id, CaseCount.state])
    return _cross_table(counts, {town.id: town.name for town in towns})


def case_query(filters: CaseFilter) -> Select:
    """The filtered case list, newest first (by id, which the primary key index gives for free)."""
    query = select(Case)
    if filters.owner_id:
        query = query.where(Case.owner_id == filters.owner_id)
    if filters.state:
        query = query.where(Case.state == filters.state)
    if filters.municipality_id:
        # A subquery rather than a join: the count for the pager then stays on the cases table.
        query = query.where(
            Case.business_id.in_(select(Business.id).where(Business.municipality_id == filters.municipality_id))
        )
    return query.order_by(Case.id.desc())


def case_page(filters: CaseFilter, page: int) -> Pagination:
    """One page of the filtered list with its business, municipality and owner (no query per row): the page's
    ids first, then its rows (cases.queries.page_of_cases).

    The total comes from the read model (each filter is one of its columns), not from a COUNT over cases."""
    result = queries.page_of_cases(case_query(filters), page, PAGE_SIZE)
    result.total = readmodel.total(owner_id=filters.owner_id, state=filters.state,
                                   municipality_id=filters.municipality_id)
    return result


def reassign_cases(case_ids: list[int], owner_id: int | None, actor: User) -> int:
    """Give the selected cases to an active scout, with a timeline entry on each.

    Refuses (and changes nothing) when nothing is selected, the scout is unknown or a case is gone.
    """
    ids = sorted(set(case_ids))
    if not ids:
        raise ReassignRefused(_l("Please select at least one case."))
    new_owner = db.session.get(User, owner_id) if owner_id else None
    if new_owner is None or new_owner.role != "scout" or not new_owner.takes_work:
        raise ReassignRefused(_l("Please choose an active process scout to take over the cases."))
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(ids))))
    if len(cases) != len(ids):
        raise ReassignRefused(_l("Some of the selected cases no longer exist. Please reload the page."))
    try:
        return case_services.reassign(cases, new_owner, actor)
    except StaleDataError as exc:  # someone moved or edited one of the cases in the meantime
        raise ReassignRefused(Conflict().message) from exc
