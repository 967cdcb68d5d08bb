"""The case state machine (DESIGN.md §4): the only code that changes a case's state.

MOVES is the declarative table: which moves exist, who may make each, what each requires
(a guard returns the German message shown when the data does not allow the move) and whether
it needs a reason. Every move has the same effects: a timeline event, and whatever the
registered effect hooks do (follow-up rules, see app.scheduling).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, exists, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User
from app.cases.models import Case, CaseEvent, Measure
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Referral
from app.timeutil import utcnow
from app.workshops.models import Attendance

# The forward order of the pipeline; "withdrawn" stands beside it.
ORDER = ("contacted", "check_done", "workshop_attended", "referred", "implemented")
WITHDRAWN = "withdrawn"
STATES = (*ORDER, WITHDRAWN)
INITIAL = "contacted"
OPEN_STATES = ORDER  # "implemented" stays open for the re-check

STATE_LABELS = {
    "contacted": _l("Contacted"),
    "check_done": _l("Check done"),
    "workshop_attended": _l("Workshop attended"),
    "referred": _l("Referred"),
    "implemented": _l("Implemented"),
    "withdrawn": _l("Withdrawn"),
}

OWNER = "owner"
LEAD = "lead"

Guard = Callable[[Case], str | None]


def _has(model, *criteria) -> Callable[[Case], bool]:
    def check(case: Case) -> bool:
        return db.session.scalar(select(exists().where(model.case_id == case.id, *criteria)))

    return check


def _guard(test: Callable[[Case], bool], message) -> Guard:
    return lambda case: None if test(case) else str(message)


has_completed_check = _guard(
    _has(Check, Check.status == "completed"),
    _l("A completed digitalisation check is missing. Complete the check first."),
)
has_attendance = _guard(
    _has(Attendance), _l("No workshop attendance is recorded. Record the attendance first.")
)
has_referral = _guard(_has(Referral), _l("No referral to a partner is recorded. Record the referral first."))
has_implemented_measure = _guard(
    _has(Measure, Measure.status == "implemented"),
    _l("No implemented measure is recorded. Record at least one implemented measure first."),
)


@dataclass(frozen=True)
class Move:
    kind: str  # forward | withdraw | reopen | correct
    source: str
    target: str
    who: frozenset[str]
    guard: Guard | None = None
    needs_reason: bool = False
    requires: object = _l("a reason")  # what the help page says the move needs


_OWNER_OR_LEAD = frozenset({OWNER, LEAD})


def _forward(sources: tuple[str, ...], target: str, guard: Guard, requires) -> list[Move]:
    return [Move("forward", source, target, _OWNER_OR_LEAD, guard, requires=requires) for source in sources]


MOVES: tuple[Move, ...] = (
    *_forward(("contacted",), "check_done", has_completed_check, _l("a completed check")),
    *_forward(("check_done",), "workshop_attended", has_attendance, _l("recorded workshop attendance")),
    *_forward(("check_done", "workshop_attended"), "referred", has_referral, _l("a referral to a partner")),
    *_forward(("check_done", "workshop_attended", "referred"), "implemented", has_implemented_measure,
              _l("at least one implemented measure")),
    *(Move("withdraw", source, WITHDRAWN, _OWNER_OR_LEAD, needs_reason=True) for source in OPEN_STATES),
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

Effect = Callable[[Case, Move, CaseEvent], None]
_effects: list[Effect] = []


def on_move(effect: Effect) -> Effect:
    """Register an effect that runs inside every move's transaction (e.g. follow-up rules)."""
    _effects.append(effect)
    return effect


class MoveRefused(Exception):
    """The move is not possible; the message (German) says why."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


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
    return (OWNER in move.who and case.owner_id == user.id) or (LEAD in move.who and user.role == "lead")


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
    return move.guard(case) if move.guard else None


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
        if m.source == case.state and (m.kind != "correct" or user.role == "lead")
    ]


# Not in MOVES: how every case enters the pipeline; its effects run like a move's (follow-up rules).
OPENING = Move("open", "", INITIAL, _OWNER_OR_LEAD)


def record_opening(case: Case, entry: CaseEvent) -> None:
    """Run the move effects for a new case entering its first state (its "opened" timeline entry)."""
    for effect in _effects:
        effect(case, OPENING, entry)


def open_case(case: Case) -> Case:
    """Give a new case its initial state (the only other place a state is set)."""
    case._state = INITIAL
    case._workflow_target = INITIAL
    return case


def move(
    case: Case, target: str, user: User, *, reason: str = "", expected_version: int | None = None
) -> CaseEvent:
    """Move the case to target, or raise MoveRefused/Conflict. The caller commits."""
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
    case._workflow_target = target
    case._state = target
    case.state_changed_at = now
    case.closed_at = now if target == WITHDRAWN else None
    entry = CaseEvent(case_id=case.id, kind="moved", actor_id=user.id, from_state=source, to_state=target,
                      text=reason.strip(), data={"move": chosen.kind}, created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()  # the versioned UPDATE goes first: a concurrent move fails here
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict() from exc
    for effect in _effects:
        effect(case, chosen, entry)
    db.session.flush()
    return entry


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
