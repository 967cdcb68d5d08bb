"""Scoring a check: each dimension 0–100, an overall score, a maturity level (Reifegrad) and the gaps.

The scores count implementation only. The gap of an item is relevance × (top − implementation),
only where both are given: it ranks what to do first. A version that does not ask about
relevance (v1) counts every item as fully relevant, so its gaps rank by implementation alone.
"""

from dataclasses import dataclass

from app.checks import answers as ans
from app.checks.questionnaire import Dimension, Item, Questionnaire


@dataclass(frozen=True)
class Result:
    dimensions: dict[str, float | None]  # None: no item of the dimension was answered
    overall: float | None
    level: int | None


@dataclass(frozen=True)
class Gap:
    item: Item
    dimension: Dimension
    implementation: int
    relevance: int
    value: int  # relevance × (top − implementation); 0..16 on a five-point scale


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score(questionnaire: Questionnaire, answers: ans.Answers) -> Result:
    """Score answers (see app.checks.answers); "keine Angabe" is left out of the means.

    The overall score is the mean of the rounded dimension scores, so that it matches the
    figures the result page shows.
    """
    ans.validate(questionnaire, answers)
    top = questionnaire.max_value
    dimensions: dict[str, float | None] = {}
    for dimension in questionnaire.dimensions:
        values = [value for item in dimension.items
                  if (value := ans.implementation(answers.get(item.key))) is not None]
        mean = _mean(values)
        dimensions[dimension.key] = None if mean is None else round(mean / top * 100, 1)
    overall = _mean([value for value in dimensions.values() if value is not None])
    overall = None if overall is None else round(overall, 1)
    level = questionnaire.level_for(overall)
    return Result(dimensions=dimensions, overall=overall, level=level.level if level else None)


def gaps(questionnaire: Questionnaire, answers: ans.Answers, limit: int | None = None) -> list[Gap]:
    """The items with a gap (> 0), largest first; ties: the more relevant first, then questionnaire order."""
    top = questionnaire.max_value
    found = []
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            answer = answers.get(item.key)
            implementation = ans.implementation(answer)
            relevance = ans.relevance(answer) if questionnaire.rates_relevance else top
            if implementation is None or relevance is None:
                continue
            value = relevance * (top - implementation)
            if value > 0:
                found.append(Gap(item, dimension, implementation, relevance, value))
    found.sort(key=lambda gap: (-gap.value, -gap.relevance))  # stable: questionnaire order breaks the last ties
    return found[:limit] if limit else found
