"""Which cases have their weakest dimensions on given topics: the workshop invitation list's query
(registered as app.workshops.hooks.weak_cases). One aggregate query, however many cases."""

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased

from app.checks.models import CaseCheckSummary, CheckScore
from app.checks.questionnaire import CHECKS_DIR, load

WEAKEST = 2  # a dimension counts when fewer than this many dimensions of the same check score lower


def _dimensions_on(topic_keys: set[str]) -> list[tuple[str, str]]:
    """(questionnaire version, dimension key) of every dimension whose workshop topics meet the topics."""
    versions = sorted(path.stem for path in CHECKS_DIR.glob("v*.json"))
    return [(version, dimension.key) for version in versions for dimension in load(version).dimensions
            if topic_keys & set(dimension.topics)]


def weak_cases(topic_keys: set[str]) -> Select:
    """select(case_id, gap) over each case's current check (its latest re-check, else its first)."""
    pairs = _dimensions_on(topic_keys)
    matching = or_(*(and_(CaseCheckSummary.questionnaire_version == version, CheckScore.dimension == key)
                     for version, key in pairs)) if pairs else false()
    lower = aliased(CheckScore)
    scored_lower = (select(func.count()).where(lower.check_id == CheckScore.check_id, lower.score < CheckScore.score,
                                               lower.dimension.not_like("dma:%"))
                    .correlate(CheckScore).scalar_subquery())
    current = func.coalesce(CaseCheckSummary.t1_check_id, CaseCheckSummary.t0_check_id)
    return (select(CaseCheckSummary.case_id.label("case_id"), func.min(CheckScore.score).label("gap"))
            .join(CheckScore, CheckScore.check_id == current)
            .where(matching, CheckScore.score.is_not(None), scored_lower < WEAKEST)
            .group_by(CaseCheckSummary.case_id))
