"""What the check's emails to a business show: results, the self-check link, workshops for the weakest
dimensions and the re-check invitation. Loaded when a mail is first sent, so a mail that waited ten
business days in the outbox tells the business what is true today."""

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from app.cases.models import Measure
from app.cases.vocab import MeasureStatus
from app.checks import questionnaire as qn
from app.checks.answers import implementation
from app.checks.models import Check
from app.checks.recommendations import recommend
from app.checks.self_check import PURPOSE as SELF_CHECK
from app.checks.services import first_check, latest_check
from app.extensions import db
from app.reference.models import Topic
from app.scheduling import links
from app.scheduling.mails import case_of, common, points, registry_of
from app.scheduling.models import OutboxMessage
from app.workshops.services import upcoming_on_topics

WEAKEST = 3  # dimensions named in the results mail
MEASURES_PER_DIMENSION = 3
WORKSHOPS_SHOWN = 5


@dataclass
class DimensionResult:
    key: str
    name: str
    score: float | None
    topics: tuple[str, ...]
    measures: list[str] = field(default_factory=list)

    @property
    def points(self) -> str:
        return points(self.score)


@dataclass
class CheckSummary:
    check: Check
    dimensions: list[DimensionResult]
    weakest: list[DimensionResult]
    level_name: str

    @property
    def overall(self) -> str:
        return points(self.check.overall_score)


def _open_measures(questionnaire: qn.Questionnaire, dimension: qn.Dimension, answers: dict) -> list[str]:
    """Measures of the items not yet fully implemented (all of the dimension's when every item is)."""
    def collect(items) -> list[str]:
        found: list[str] = []
        for item in items:
            found.extend(m for m in item.measures if m not in found)
        return found

    open_items = [item for item in dimension.items
                  if (implementation(answers.get(item.key)) or 0) < questionnaire.max_value]
    return (collect(open_items) or collect(dimension.items))[:MEASURES_PER_DIMENSION]


def summarise(check: Check) -> CheckSummary:
    """Scores per dimension (names from the check's own questionnaire version) and the weakest ones."""
    questionnaire = qn.load(check.questionnaire_version)
    scores = check.scores or {}
    dimensions = [DimensionResult(d.key, d.name, scores.get(d.key), d.topics) for d in questionnaire.dimensions]
    weakest = sorted((d for d in dimensions if d.score is not None), key=lambda d: d.score)[:WEAKEST]
    by_key = {d.key: d for d in questionnaire.dimensions}
    for result in weakest:
        result.measures = _open_measures(questionnaire, by_key[result.key], check.answers or {})
    return CheckSummary(check, dimensions, weakest, questionnaire.level_name(check.level))


def check_results(row: OutboxMessage) -> dict:
    """What the result page shows: scores per dimension, overall and level, and the top gaps, each with its
    suggested measures, upcoming workshops and partners (the same app.checks.recommendations.recommend)."""
    case = case_of(row)
    check = latest_check(case.id)
    if check is None:
        return {**common(case), "summary": None, "questionnaire": None, "recommendations": []}
    questionnaire = qn.load(check.questionnaire_version)
    return {**common(case), "summary": summarise(check), "questionnaire": questionnaire,
            "recommendations": recommend(questionnaire, check.answers or {})}


def self_check(row: OutboxMessage) -> dict:
    """The signed link to fill in the check; valid until submitted (its nonce is used only then)."""
    case = case_of(row)
    return {**common(case), "self_check_url": links.make_url(SELF_CHECK, case_id=case.id,
                                                              business_id=case.business_id),
            "valid_days": int(links.max_age(SELF_CHECK).days)}


def workshop_suggestions(row: OutboxMessage) -> dict:
    """Upcoming workshops whose topic matches the topics of the weakest dimensions."""
    case = case_of(row)
    check = latest_check(case.id)
    summary = summarise(check) if check else None
    keys = {key for d in summary.weakest for key in d.topics} if summary else set()
    topic_ids = list(db.session.scalars(select(Topic.id).where(Topic.key.in_(keys)))) if keys else []
    return {**common(case), "summary": summary, "workshops": upcoming_on_topics(topic_ids, WORKSHOPS_SHOWN)}


def recheck_invitation(row: OutboxMessage) -> dict:
    case = case_of(row)
    check = first_check(case.id)
    measures = list(db.session.scalars(
        select(Measure).where(Measure.case_id == case.id, Measure.status == MeasureStatus.IMPLEMENTED)
        .order_by(Measure.implemented_on.desc(), Measure.id.desc()).limit(5)))
    return {**common(case), "summary": summarise(check) if check else None, "measures": measures}


def init_app(app: Flask) -> None:
    registry_of(app).builders.update({
        "check_results": check_results, "self_check": self_check,
        "workshop_suggestions": workshop_suggestions, "recheck_invitation": recheck_invitation,
    })
