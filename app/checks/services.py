"""Taking a check for a case: start (or a re-check), save each step, complete and score it.

Nothing here reads the request or the signed-in user from Flask: the actor is passed in, and may
be None when the business fills in the check itself through a link (app.checks.self_check).
"""

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import record_milestone
from app.cases.vocab import EventKind
from app.checks import answers as ans
from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.comparison import compare
from app.checks.models import FIRST, RECHECK, Check
from app.checks.scoring import score
from app.errors import DomainError
from app.extensions import db
from app.timeutil import utcnow


class AlreadyCompleted(DomainError):
    """Someone else completed this check meanwhile (two tablets, one check)."""

    def __init__(self) -> None:
        super().__init__(_l("This check was completed meanwhile by someone else."))


class IncompleteCheck(DomainError):
    """Completing needs both ratings of every item ("keine Angabe" counts as an answer)."""

    def __init__(self, missing: list[qn.Item]) -> None:
        super().__init__(ngettext("The check is not complete yet: %(num)d question is open (see below).",
                                  "The check is not complete yet: %(num)d questions are open (see below).",
                                  len(missing)))
        self.missing = missing


def questionnaire_of(check: Check) -> qn.Questionnaire:
    return qn.load(check.questionnaire_version)


def review_step(questionnaire: qn.Questionnaire) -> int:
    """Steps are 1..n for the n dimensions, then the review (n + 1)."""
    return len(questionnaire.dimensions) + 1


def checks_for_case(case_id: int) -> list[Check]:
    """The case's checks, newest first (for the case page)."""
    return list(db.session.scalars(
        select(Check).where(Check.case_id == case_id).order_by(Check.started_at.desc(), Check.id.desc())
    ))


def first_check(case_id: int) -> Check | None:
    """The case's first completed check (T0): a re-check takes its questionnaire version."""
    return db.session.scalar(select(Check).where(Check.case_id == case_id, Check.status == "completed")
                             .order_by(Check.completed_at, Check.id).limit(1))


def latest_check(case_id: int) -> Check | None:
    """The case's latest completed check (T1 once there is a re-check)."""
    return db.session.scalar(select(Check).where(Check.case_id == case_id, Check.status == "completed")
                             .order_by(Check.completed_at.desc(), Check.id.desc()).limit(1))


def has_completed_check(case: Case) -> bool:
    """The guard of the move to "check done"."""
    return latest_check(case.id) is not None


def open_draft(case_id: int, *, by_business: bool = False) -> Check | None:
    """The case's open (not completed) check, if there is one; by_business: only one the business started."""
    query = select(Check).where(Check.case_id == case_id, Check.status == "draft")
    if by_business:
        query = query.where(Check.created_by_id.is_(None))
    return db.session.scalar(query.order_by(Check.id.desc()).limit(1))


def new_draft(case: Case, actor: User | None) -> Check:
    """A new, unsaved draft: the current questionnaire, or T0's for a re-check."""
    first = first_check(case.id)
    version = first.questionnaire_version if first else qn.CURRENT_VERSION
    return Check(case_id=case.id, questionnaire_version=version,
                 kind=RECHECK if first else FIRST, status="draft", answers={}, scores={}, current_step=1,
                 created_by_id=actor.id if actor else None, started_at=utcnow())


def start_or_continue(case: Case, actor: User | None) -> Check:
    """The case's open draft, or a new one (flushed): the current questionnaire, or T0's for a re-check."""
    draft = open_draft(case.id)
    if draft is None:
        draft = new_draft(case, actor)
        db.session.add(draft)
        db.session.flush()
    return draft


def require_complete(check: Check) -> None:
    """Raise IncompleteCheck unless every item is fully answered (before anything is changed)."""
    missing = [item for _step, item in open_items_by_step(questionnaire_of(check), check.answers)]
    if missing:
        raise IncompleteCheck(missing)


def open_items_by_step(questionnaire: qn.Questionnaire, answers: ans.Answers) -> list[tuple[int, qn.Item]]:
    """The items not fully answered, each with the step that asks it (for links from the review)."""
    return [(step, item) for step, dimension in enumerate(questionnaire.dimensions, 1) for item in dimension.items
            if not ans.is_complete(questionnaire, answers, item.key)]


def answered_per_dimension(questionnaire: qn.Questionnaire, answers: ans.Answers) -> dict[str, int]:
    """How many items of each dimension are fully answered (for the step list and the review)."""
    return {d.key: sum(ans.is_complete(questionnaire, answers, item.key) for item in d.items)
            for d in questionnaire.dimensions}


def save_step(check: Check, answers: ans.Answers, resume_at: int | None) -> None:
    """Keep the answers given so far and, when given, the step to resume at.

    The background save passes no step: a late one must not move the resume point back after the
    step's own POST has moved it on. The conditional UPDATE refuses a check completed meanwhile
    (AlreadyCompleted, with nothing changed).
    """
    questionnaire = questionnaire_of(check)
    ans.validate(questionnaire, answers)
    values = {"answers": ans.merge(questionnaire, check.answers, answers)}
    if resume_at is not None:
        values["current_step"] = min(max(resume_at, 1), review_step(questionnaire))
    saved = db.session.execute(update(Check).where(Check.id == check.id, Check.status == "draft").values(**values))
    if saved.rowcount != 1:
        raise AlreadyCompleted()
    db.session.refresh(check)


def complete(check: Check, case: Case, actor: User | None, move_on: bool) -> str | None:
    """Score and complete the check, write the timeline and perhaps move the case.

    The scores are also written as rows and the case's T0/T1 summary is updated (app.checks.summary).
    Raises IncompleteCheck when an item is not fully answered and AlreadyCompleted when someone
    else completed it, both before changing anything; workflow.MoveRefused after flushing (run it inside
    transactions.refusable()). Returns why the offered move did not happen, if it did not.
    """
    questionnaire = questionnaire_of(check)
    require_complete(check)
    result = score(questionnaire, check.answers)
    # Claim the draft with a conditional UPDATE, so that two people completing it at once
    # cannot both write a result and a timeline entry.
    claimed = db.session.execute(update(Check).where(Check.id == check.id, Check.status == "draft")
                                 .values(status="completed", completed_at=utcnow()))
    if claimed.rowcount != 1:
        raise AlreadyCompleted()
    db.session.refresh(check)
    check.scores = result.dimensions
    check.overall_score = result.overall
    check.level = result.level
    summary.record(check)  # the scores as rows and the case's T0/T1, for the programme report
    text = completion_text(questionnaire, result.overall, result.level)
    first = first_check(case.id) if check.kind == RECHECK else None
    if first is not None and first.id != check.id:
        change = compare(first, check).overall_change
        if change is not None:
            text += " " + _("Change since the first check: %(change)s points.", change=signed(change))
    return record_milestone(
        case, "completed_check", EventKind.CHECK_COMPLETED, actor, text, move_on, check_id=check.id,
        overall=result.overall, level=result.level,
    )


def signed(value: float) -> str:
    """A change the German way with its sign: +12,5 or −3,0 (a real minus sign)."""
    text = format_decimal(abs(value), "0.0")
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else f"±{text}")


def completion_text(questionnaire: qn.Questionnaire, overall: float | None, level: int | None) -> str:
    if overall is None:
        return _("Digitalisation check completed without a score (every answer was “no answer”).")
    return _("Digitalisation check completed: %(score)s of 100 points, maturity level %(level)d (%(name)s).",
             score=format_decimal(overall, "0.0"), level=level, name=questionnaire.level_name(level))
