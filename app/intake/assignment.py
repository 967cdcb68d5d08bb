"""Who gets a confirmed request: the scout set for its municipality, else the active scout with the fewest open
cases (from the pipeline's read model, one aggregate over a small table), else the least busy active lead.

A scout set for a municipality who is disabled (or no longer a scout) keeps the row, but the rule passes over it:
the municipality's requests go the automatic way until someone sets a scout again.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from app.auth import audit
from app.auth.models import Role, User
from app.auth.services import assignable_scouts
from app.cases.models import CaseCount
from app.cases.workflow import OPEN_STATES
from app.errors import DomainError
from app.extensions import db
from app.intake.models import IntakeAssignment
from app.reference.models import Municipality


def least_busy(role: str) -> User | None:
    """The active user of the role with the fewest open cases (ties: the earliest account)."""
    open_cases = func.coalesce(func.sum(CaseCount.n), 0)
    user_id = db.session.scalar(
        select(User.id)
        .outerjoin(CaseCount, and_(CaseCount.owner_id == User.id, CaseCount.state.in_([str(s) for s in OPEN_STATES])))
        .where(User.role == role, User.takes_work)
        .group_by(User.id).order_by(open_cases, User.id).limit(1))
    return db.session.get(User, user_id) if user_id else None


def takes_requests(user: User | None) -> bool:
    """Whether the user set for a municipality still gets its requests: an active scout not being handed over."""
    return user is not None and user.takes_work and user.role == Role.SCOUT


def configured_scout(municipality_id: int) -> User | None:
    """The municipality's scout when one is set and can still take cases (active, not being handed over)."""
    assignment = db.session.get(IntakeAssignment, municipality_id)
    scout = assignment.scout if assignment else None
    return scout if takes_requests(scout) else None


def owner_for(municipality_id: int) -> User:
    owner = configured_scout(municipality_id) or least_busy(Role.SCOUT) or least_busy(Role.LEAD)
    if owner is None:
        raise DomainError(_l("Nobody can take the request at the moment. Please try again later or call us."))
    return owner


@dataclass(frozen=True)
class Row:
    """A municipality of the region with the scout stored for it (None: automatic), who may since be disabled."""

    municipality_id: int
    name: str
    district: str
    stored: User | None

    @property
    def scout(self) -> User | None:
        """The scout who gets the requests; None when they go the automatic way."""
        return self.stored if takes_requests(self.stored) else None


def table() -> list[Row]:
    """Every municipality of the region by name, with its stored scout (one query; a region has a few hundred)."""
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Municipality.district, User)
        .outerjoin(IntakeAssignment, IntakeAssignment.municipality_id == Municipality.id)
        .outerjoin(User, User.id == IntakeAssignment.scout_id)
        .order_by(Municipality.name))
    return [Row(*row) for row in rows]


def save(choices: dict[int, int | None], actor: User | None) -> int:
    """Set the scout (None: automatic) of each municipality given; returns how many changed, each on the audit trail.

    All or nothing: an unknown municipality or a user who is no active scout refuses the whole save before any write.
    Municipalities not given stay as they are.
    """
    names = dict(db.session.execute(select(Municipality.id, Municipality.name)).all())
    if unknown := sorted(set(choices) - set(names)):
        raise DomainError(_l("There is no municipality no. %(id)s (any more). Please reload the page and save again.",
                             id=unknown[0]))
    scouts = {scout.id: scout for scout in assignable_scouts()}
    if any(scout_id is not None and scout_id not in scouts for scout_id in choices.values()):
        raise DomainError(_l("Only an active process scout can take a municipality's requests. Please reload the "
                             "page and choose again."))
    # Two leads saving at once: the second waits here and then reads the first one's rows (PostgreSQL), instead of
    # both inserting a row for the same municipality.
    db.session.execute(select(Municipality.id).where(Municipality.id.in_(list(choices))).order_by(Municipality.id)
                       .with_for_update())
    stored = {row.municipality_id: row for row in db.session.scalars(select(IntakeAssignment))}
    changed = 0
    for municipality_id, scout_id in sorted(choices.items(), key=lambda item: names[item[0]]):
        row = stored.get(municipality_id)
        if (row.scout_id if row else None) == scout_id:
            continue
        if scout_id is None and row is not None and row.scout.active and row.scout.leaving:
            continue  # shown as automatic while being handed over: kept, should the hand-over fail
        audit.record(actor, "intake.assigned", names[municipality_id],
                     scout=[_name(row.scout if row else None), _name(scouts.get(scout_id))])
        if scout_id is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(IntakeAssignment(municipality_id=municipality_id, scout_id=scout_id))
        else:
            row.scout_id = scout_id
        changed += 1
    db.session.flush()
    return changed


def _name(user: User | None) -> str:
    if user is None:
        return _("automatic")
    return user.name if takes_requests(user) else _("%(name)s (inactive)", name=user.name)


def assign(municipality_id: int, scout: User | None, actor: User | None = None) -> None:
    """Set (or with None, remove) the scout who takes one municipality's requests; flushes."""
    save({municipality_id: scout.id if scout else None}, actor)
