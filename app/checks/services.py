"""Taking a check for a case: start or continue a draft, save answers, complete and score it."""

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.cases.models import Case
from app.cases.services import record_milestone
from app.checks import questionnaire as qn
from app.checks.models import Check
from app.checks.scoring import score
from app.extensions import db
from app.timeutil import utcnow

Answers = dict[str, int | None]


class AlreadyCompleted(Exception):
    """Someone else completed this check meanwhile (two tablets, one check)."""


class IncompleteCheck(Exception):
    """Completing needs an answer to every question ("keine Angabe" counts as one)."""

    def __init__(self, missing: list[qn.Item]) -> None:
        super().__init__(", ".join(item.key for item in missing))
        self.missing = missing


def questionnaire_of(check: Check) -> qn.Questionnaire:
    return qn.load(check.questionnaire_version)


def checks_for_case(case_id: int) -> list[Check]:
    """The case's checks, newest first (for the case page)."""
    return list(db.session.scalars(
        select(Check).where(Check.case_id == case_id).order_by(Check.started_at.desc(), Check.id.desc())
    ))


def start_or_continue(case: Case, actor: User) -> Check:
    """The case's open draft, or a new one with the current questionnaire. Commits."""
    draft = db.session.scalar(
        select(Check).where(Check.case_id == case.id, Check.status == "draft").order_by(Check.id.desc()).limit(1)
    )
    if draft is None:
        draft = Check(case_id=case.id, questionnaire_version=qn.CURRENT_VERSION, status="draft", answers={},
                      scores={}, created_by_id=actor.id, started_at=utcnow())
        db.session.add(draft)
        db.session.commit()
    return draft


def missing_items(questionnaire: qn.Questionnaire, answers: Answers) -> list[qn.Item]:
    return [item for item in questionnaire.items if item.key not in answers]


def save_draft(check: Check, answers: Answers) -> None:
    """Keep the answers given so far (a tablet may lose its connection). Commits."""
    check.answers = {**check.answers, **answers}
    db.session.commit()


def complete(check: Check, case: Case, actor: User, answers: Answers, move_on: bool) -> str | None:
    """Score and complete the check, write the timeline and perhaps move the case.

    Raises IncompleteCheck (after saving the answers as a draft) when a question is open.
    Returns why the offered move did not happen, if it did not. Commits once.
    """
    questionnaire = questionnaire_of(check)
    merged = {**check.answers, **answers}
    missing = missing_items(questionnaire, merged)
    if missing:
        save_draft(check, answers)
        raise IncompleteCheck(missing)
    result = score(questionnaire, merged)
    # Claim the draft with a conditional UPDATE, so that two people completing it at once
    # cannot both write a result and a timeline entry.
    claimed = db.session.execute(update(Check).where(Check.id == check.id, Check.status == "draft")
                                 .values(status="completed", completed_at=utcnow()))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AlreadyCompleted()
    check.answers = merged
    check.scores = result.dimensions
    check.overall_score = result.overall
    check.level = result.level
    return record_milestone(
        case, "check_completed", actor, completion_text(questionnaire, result.overall, result.level),
        target="check_done", move_on=move_on, check_id=check.id, overall=result.overall, level=result.level,
    )


def completion_text(questionnaire: qn.Questionnaire, overall: float | None, level: int | None) -> str:
    if overall is None:
        return _("Digitalisation check completed without a score (every answer was “no answer”).")
    return _("Digitalisation check completed: %(score)s of 100 points, maturity level %(level)d (%(name)s).",
             score=format_decimal(overall, "0.0"), level=level, name=questionnaire.level_name(level))
