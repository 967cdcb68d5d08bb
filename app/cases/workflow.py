"""The case state machine (DESIGN.md §4): the only code that changes a case's state.

MOVES is the declarative table: which moves exist, who may make each, which recorded milestone a
forward move requires (its guard: the package owning that record registers the test under the
milestone's key, see app.cases.registry) and the German message when it is missing, whether a move
needs a reason and whether it closes the case. Every move has the same effects: the state and its
timestamps, a timeline event, and the registered `case_moved` hooks (follow-up rules).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, Select, case, event, func, insert, inspect, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Role, User
from app.cases import registry
from app.cases.models import Case, CaseEvent
from app.cases.vocab import EventKind, State
from app.errors import DomainError
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

# The forward order of the pipeline; "withdrawn" stands beside it.
ORDER = (State.CONTACTED, State.CHECK_DONE, State.WORKSHOP_ATTENDED, State.REFERRED, State.IMPLEMENTED)
WITHDRAWN = State.WITHDRAWN
STATES = tuple(State)
INITIAL = State.CONTACTED
WORKFLOW_OPTION = "procheck_workflow_bulk_open"
OPEN_STATES = ORDER  # "implemented" stays open for the re-check

STATE_LABELS = {
    State.CONTACTED: _l("Contacted"),
    State.CHECK_DONE: _l("Check done"),
    State.WORKSHOP_ATTENDED: _l("Workshop attended"),
    State.REFERRED: _l("Referred"),
    State.IMPLEMENTED: _l("Implemented"),
    State.WITHDRAWN: _l("Withdrawn"),
}

OWNER = "owner"
LEAD = Role.LEAD


@dataclass(frozen=True)
class Milestone:
    """A recorded fact that lets a case move forward; `record` is the guard's key in the registry."""

    record: str
    target: State
    requires: object  # what the help page says the move needs
    missing: object  # the refusal when the record is not there


MILESTONES = (
    Milestone("completed_check", State.CHECK_DONE, _l("a completed check"),
              _l("A completed digitalisation check is missing. Complete the check first.")),
    Milestone("attendance", State.WORKSHOP_ATTENDED, _l("recorded workshop attendance"),
              _l("No workshop attendance is recorded. Record the attendance first.")),
    Milestone("referral", State.REFERRED, _l("a referral to a partner"),
              _l("No referral to a partner is recorded. Record the referral first.")),
    Milestone("implemented_measure", State.IMPLEMENTED, _l("at least one implemented measure"),
              _l("No implemented measure is recorded. Record at least one implemented measure first.")),
)
MILESTONE_FOR = {m.record: m for m in MILESTONES}


@dataclass(frozen=True)
class Move:
    kind: str  # forward | withdraw | reopen | correct
    source: State
    target: State
    who: frozenset[str]
    milestone: Milestone | None = None
    needs_reason: bool = False
    closes: bool = False  # the case counts as closed (closed_at) until it is reopened

    @property
    def requires(self):
        return self.milestone.requires if self.milestone else _l("a reason")


_OWNER_OR_LEAD = frozenset({OWNER, LEAD})


def _forward(sources: tuple[State, ...], record: str) -> list[Move]:
    milestone = MILESTONE_FOR[record]
    return [Move("forward", source, milestone.target, _OWNER_OR_LEAD, milestone) for source in sources]


MOVES: tuple[Move, ...] = (
    *_forward((State.CONTACTED,), "completed_check"),
    *_forward((State.CHECK_DONE,), "attendance"),
    *_forward((State.CHECK_DONE, State.WORKSHOP_ATTENDED), "referral"),
    *_forward((State.CHECK_DONE, State.WORKSHOP_ATTENDED, State.REFERRED), "implemented_measure"),
    *(Move("withdraw", source, WITHDRAWN, _OWNER_OR_LEAD, needs_reason=True, closes=True) for source in OPEN_STATES),
    Move("reopen", WITHDRAWN, INITIAL, _OWNER_OR_LEAD, needs_reason=True),
    *(
        Move("correct", source, target, frozenset({LEAD}), needs_reason=True)
        for i, source in enumerate(ORDER)
        for target in ORDER[:i]
    ),
)

MOVE_LABELS = {
    "forward": _l("Move to “%(state)s”"),
    "withdraw": _l("Withdraw"),
    "reopen": _l("Reopen"),
    "correct": _l("Correct back to “%(state)s”"),
}


class MoveRefused(DomainError):
    """The move is not possible; the message (German) says why."""


class Conflict(MoveRefused):
    """Someone else changed the case since the form was loaded."""

    def __init__(self) -> None:
        super().__init__(_l("This case was changed meanwhile. Please reload the page and try again."))


class StateChangeRefused(RuntimeError):
    """Raised when code outside this module tries to change a case's state."""


def state_label(state: str) -> str:
    return str(STATE_LABELS[state])


def move_label(move: Move) -> str:
    return str(MOVE_LABELS[move.kind]) % {"state": state_label(move.target)}


def find_move(source: str, target: str) -> Move | None:
    return next((m for m in MOVES if m.source == source and m.target == target), None)


def may_make(move: Move, case: Case, user: User) -> bool:
    return (OWNER in move.who and case.owner_id == user.id) or (LEAD in move.who and user.role == Role.LEAD)


def refusal(case: Case, user: User, move: Move, reason: str = "", *, check_reason: bool = True) -> str | None:
    """Why this user cannot make this move now, or None when they can."""
    if move.source != case.state:
        return str(_l("This step is not possible from “%(state)s”.", state=state_label(case.state)))
    if not may_make(move, case, user):
        if move.who == {LEAD}:
            return str(_l("Only the team lead may move a case back."))
        return str(_l("Only the case owner or the team lead may move this case."))
    if check_reason and move.needs_reason and not reason.strip():
        return str(_l("Please give a reason."))
    if move.milestone and not registry.current().guards[move.milestone.record](case):
        return str(move.milestone.missing)
    return None


@dataclass(frozen=True)
class Option:
    move: Move
    label: str
    refused: str | None  # why it is not possible now; None when it is


def options(case: Case, user: User) -> list[Option]:
    """The moves from the current state, each with why it is not possible (for the case page)."""
    return [
        Option(m, move_label(m), refusal(case, user, m, check_reason=False))
        for m in MOVES
        if m.source == case.state and (m.kind != "correct" or user.role == Role.LEAD)
    ]


@dataclass(frozen=True)
class Unmet:
    """The case's state no longer has the record it stands on; `correction` is the lead's move back."""

    milestone: Milestone
    correction: Move


def _holds(state: str, case: Case) -> bool:
    milestone = next((m for m in MILESTONES if m.target == state), None)
    return milestone is None or registry.current().guards[milestone.record](case)


def unmet(case: Case) -> Unmet | None:
    """When the guard of the case's state no longer holds (e.g. its only referral was withdrawn): what is missing
    and the correction back to the latest earlier state whose record still holds."""
    if case.state not in ORDER or _holds(case.state, case):
        return None
    milestone = next(m for m in MILESTONES if m.target == case.state)
    target = next(s for s in reversed(ORDER[:ORDER.index(case.state)]) if _holds(s, case))
    return Unmet(milestone, find_move(case.state, target))


def open_case(case: Case, actor: User | None) -> CaseEvent:
    """Give a new case its initial state and its "opened" entry, then run the case_opened hooks.

    The case must be added to the session; this flushes it (the only other place a state is set).
    """
    case._state = INITIAL
    case._workflow_target = INITIAL
    db.session.flush()
    entry = CaseEvent(case_id=case.id, kind=EventKind.OPENED, actor_id=actor.id if actor else None,
                      to_state=INITIAL, text="", data={}, created_at=case.opened_at or utcnow())
    db.session.add(entry)
    db.session.flush()
    for hook in registry.current().case_opened:
        hook(case, entry)
    return entry


def open_in_bulk(businesses: Select, owner_ids: list[int], actor: User) -> int:
    """Open a case for each of the businesses (a SELECT of ids) in set-based SQL: owners dealt round robin in id
    order, "opened" entries by the actor, then the cases_opened_in_bulk hooks. Returns how many; flushes first.

    The one bulk write of a state: its statement carries WORKFLOW_OPTION, which the guard below lets pass."""
    db.session.flush()
    at = utcnow()
    before = db.session.scalar(select(func.coalesce(func.max(Case.id), 0)))
    chosen = businesses.subquery()
    turn = (func.row_number().over(order_by=chosen.c.id) - 1) % len(owner_ids)
    owner = case(*((turn == i, literal(o)) for i, o in enumerate(owner_ids)), else_=literal(owner_ids[0]))
    stamp = literal(at, UTCDateTime())
    db.session.execute(insert(Case.__table__).from_select(
        ["business_id", "owner_id", "state", "opened_at", "state_changed_at", "last_activity_at", "version"],
        select(chosen.c.id, owner, literal(str(INITIAL)), stamp, stamp, stamp, literal(1, Integer())),
    ).execution_options(**{WORKFLOW_OPTION: True}))
    new_cases = select(Case.id).where(Case.id > before, Case.opened_at == stamp)
    opened = db.session.scalar(select(func.count()).select_from(new_cases.subquery()))  # (rowcount: -1 on PG)
    if not opened:
        return 0
    db.session.execute(insert(CaseEvent.__table__).from_select(
        ["case_id", "kind", "actor_id", "to_state", "text", "data", "created_at"],
        select(Case.id, literal(str(EventKind.OPENED)), literal(actor.id), literal(str(INITIAL)), literal(""),
               literal({}, JSON()), stamp).where(Case.id.in_(new_cases))))
    for hook in registry.current().cases_opened_in_bulk:
        hook(new_cases, at)
    return opened


def move(
    case: Case, target: str, user: User, *, reason: str = "", expected_version: int | None = None
) -> CaseEvent:
    """Move the case to target, or raise MoveRefused/Conflict. Flushes; the caller's unit of work commits."""
    if expected_version is not None and expected_version != case.version:
        raise Conflict()
    chosen = find_move(case.state, target)
    if chosen is None:
        raise MoveRefused(
            _l("“%(target)s” cannot be reached from “%(source)s”.",
               target=state_label(target) if target in STATE_LABELS else target,
               source=state_label(case.state))
        )
    problem = refusal(case, user, chosen, reason)
    if problem:
        raise MoveRefused(problem)

    now = utcnow()
    source = case.state
    case._workflow_target = chosen.target
    case._state = chosen.target
    case.state_changed_at = now
    case.closed_at = now if chosen.closes else None
    entry = CaseEvent(case_id=case.id, kind=EventKind.MOVED, actor_id=user.id, from_state=source,
                      to_state=chosen.target, text=reason.strip(), data={"move": chosen.kind}, created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()  # the versioned UPDATE goes first: a concurrent move fails here
    except StaleDataError as exc:
        raise Conflict() from exc
    for hook in registry.current().case_moved:
        hook(case, chosen, entry)
    db.session.flush()
    return entry


def known_states(states: Iterable[str]) -> list[str]:
    """The states a bulk seed writes directly into cases (bypassing move()), refused unless all are known."""
    states = list(states)
    unknown = set(states) - set(STATES)
    if unknown:
        raise StateChangeRefused(f"unknown states {sorted(unknown)}")
    return states


@event.listens_for(Session, "before_flush")
def _refuse_state_changes_outside_workflow(session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Case):
            continue
        changed = obj in session.new or inspect(obj).attrs._state.history.has_changes()
        # The permission is used up by this flush, so it cannot bless a later direct change.
        blessed = obj.__dict__.pop("_workflow_target", None)
        if changed and blessed != obj._state:
            raise StateChangeRefused("a case's state changes only through app.cases.workflow.move()")


def _statement_keys(orm_execute_state) -> set[str]:
    statement = orm_execute_state.statement
    keys = {getattr(column, "key", column) for column in (getattr(statement, "_values", None) or {})}
    keys.update(getattr(statement, "_select_names", None) or ())  # INSERT … SELECT
    for rows in getattr(statement, "_multi_values", ()):
        for row in rows:
            keys.update(getattr(column, "key", column) for column in (row if isinstance(row, dict) else {}))
    params = orm_execute_state.parameters or {}
    for row in [params] if isinstance(params, dict) else params:
        keys.update(row)
    return keys


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_state_changes(orm_execute_state) -> None:
    """A Core or bulk UPDATE/INSERT that writes cases.state would bypass the move table's effects."""
    if not (orm_execute_state.is_update or orm_execute_state.is_insert):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if getattr(table, "name", None) != Case.__tablename__:
        return
    if orm_execute_state.execution_options.get(WORKFLOW_OPTION):
        return  # open_in_bulk
    if _statement_keys(orm_execute_state) & {"state", "_state"}:
        raise StateChangeRefused("a case's state changes only through app.cases.workflow.move()")
