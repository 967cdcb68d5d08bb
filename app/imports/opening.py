"""The lead opens cases for a selection of businesses (a trade group in a municipality, say) in one step.

Set-based, for ten thousand businesses as for ten (app.cases.workflow.open_in_bulk): one INSERT … SELECT makes
the cases (owners dealt round robin by row_number() over the businesses' ids, or all to one scout), one more their
"opened" timeline entries, and the `cases_opened_in_bulk` hooks give them what opening one case gives (the
pipeline's cells, the first state's reminders, the funnel's rows) in the same transaction.

Which businesses are taken: never an anonymised one (app.privacy erased it: nobody contacts it again); by default
only those that never had a case (a business that withdrew is not contacted again in bulk); with
`include_withdrawn` also those whose cases were all withdrawn. An implemented case stays open for the re-check
(app.cases.workflow.OPEN_STATES), so its business is never given a second case. `counts` says in one
statement how many are taken and how many are left out for which reason.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, text

from app.auth.models import Role, User
from app.cases import workflow
from app.cases.models import Business, Case
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Trade

BULK_LOCK = 712_031  # PostgreSQL advisory lock: two leads opening at once do not both open a business's case


@dataclass(frozen=True)
class Selection:
    municipality_id: int | None = None
    trade_group: str | None = None
    trade_id: int | None = None
    include_withdrawn: bool = False  # also businesses whose cases were all withdrawn


@dataclass(frozen=True)
class Counts:
    """The selected businesses by what bulk opening makes of them."""

    new: int  # never had a case: taken
    withdrawn: int  # every case withdrawn: taken only with include_withdrawn
    running: int  # a case still running: left out
    anonymised: int  # left out
    include_withdrawn: bool

    @property
    def taken(self) -> int:
        return self.new + (self.withdrawn if self.include_withdrawn else 0)

    @property
    def had_case(self) -> int:
        """Left out because of an earlier or running case."""
        return self.running + (0 if self.include_withdrawn else self.withdrawn)


def _selected(selection: Selection) -> list:
    conditions = []
    if selection.municipality_id:
        conditions.append(Business.municipality_id == selection.municipality_id)
    if selection.trade_id:
        conditions.append(Business.trade_id == selection.trade_id)
    if selection.trade_group:
        conditions.append(Business.trade_id.in_(select(Trade.id).where(Trade.group == selection.trade_group)))
    return conditions


def _any_case():
    return exists().where(Case.business_id == Business.id)


def _running_case():
    return exists().where(Case.business_id == Business.id, Case._state.in_(list(workflow.OPEN_STATES)))


def businesses(selection: Selection):
    """The selected businesses to open a case for (a SELECT of ids)."""
    earlier = _running_case() if selection.include_withdrawn else _any_case()
    return select(Business.id).where(*_selected(selection), Business.anonymised_at.is_(None), ~earlier)


def counts(selection: Selection) -> Counts:
    """How many selected businesses are taken and left out, and why: four counts in one statement, each over the
    selection with the same NOT EXISTS (an anti-join on ix_cases_business_id) that `businesses` uses."""
    live = Business.anonymised_at.is_(None)

    def counted(*conditions):
        return select(func.count()).select_from(Business).where(*_selected(selection), *conditions).scalar_subquery()

    total, anonymised, new, none_running = db.session.execute(select(
        counted(), counted(~live), counted(live, ~_any_case()), counted(live, ~_running_case()))).one()
    return Counts(new=new, withdrawn=none_running - new, running=total - anonymised - none_running,
                  anonymised=anonymised, include_withdrawn=selection.include_withdrawn)


def count(selection: Selection) -> int:
    return counts(selection).taken


def _scouts(owner_ids: list[int]) -> list[int]:
    found = set(db.session.scalars(select(User.id).where(User.id.in_(owner_ids), User.role == Role.SCOUT,
                                                          User.takes_work)))
    if not owner_ids or found != set(owner_ids):
        raise DomainError(_l("Please choose one or more active scouts."), "owners")
    return sorted(found)


def open_cases(selection: Selection, owner_ids: list[int], actor: User) -> int:
    """Open a case in "contacted" for every selected business, owners round robin; returns how many. Flushes."""
    owners = _scouts(owner_ids)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BULK_LOCK})
    return workflow.open_in_bulk(businesses(selection), owners, actor)


