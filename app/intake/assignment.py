"""Who gets a confirmed request: the scout set for its municipality, else the active scout with the fewest open
cases (from the pipeline's read model, one aggregate over a small table), else the least busy active lead."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from app.auth.models import Role, User
from app.cases.models import CaseCount
from app.cases.workflow import OPEN_STATES
from app.errors import DomainError
from app.extensions import db
from app.intake.models import IntakeAssignment


def least_busy(role: str) -> User | None:
    """The active user of the role with the fewest open cases (ties: the earliest account)."""
    open_cases = func.coalesce(func.sum(CaseCount.n), 0)
    user_id = db.session.scalar(
        select(User.id)
        .outerjoin(CaseCount, and_(CaseCount.owner_id == User.id, CaseCount.state.in_([str(s) for s in OPEN_STATES])))
        .where(User.role == role, User.takes_work)
        .group_by(User.id).order_by(open_cases, User.id).limit(1))
    return db.session.get(User, user_id) if user_id else None


def configured_scout(municipality_id: int) -> User | None:
    """The municipality's scout when one is set and can still take cases (active, not being handed over)."""
    assignment = db.session.get(IntakeAssignment, municipality_id)
    scout = assignment.scout if assignment else None
    return scout if scout is not None and scout.takes_work and scout.role == Role.SCOUT else None


def owner_for(municipality_id: int) -> User:
    owner = configured_scout(municipality_id) or least_busy(Role.SCOUT) or least_busy(Role.LEAD)
    if owner is None:
        raise DomainError(_l("Nobody can take the request at the moment. Please try again later or call us."))
    return owner


def assign(municipality_id: int, scout: User | None) -> None:
    """Set (or with None, remove) the scout who takes the municipality's requests; flushes."""
    row = db.session.get(IntakeAssignment, municipality_id)
    if scout is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(IntakeAssignment(municipality_id=municipality_id, scout_id=scout.id))
    else:
        row.scout_id = scout.id
    db.session.flush()
