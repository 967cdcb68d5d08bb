"""Scoring a check: each dimension 0–100, an overall score and a maturity level (Reifegrad)."""

from dataclasses import dataclass

from app.checks.questionnaire import Questionnaire


@dataclass(frozen=True)
class Result:
    dimensions: dict[str, float | None]  # None: no item of the dimension was answered
    overall: float | None
    level: int | None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score(questionnaire: Questionnaire, answers: dict[str, int | None]) -> Result:
    """Score answers (item key -> scale value, or None for "keine Angabe", which is left out).

    The overall score is the mean of the rounded dimension scores, so that it matches the
    figures the result page shows.
    """
    allowed = {option.value for option in questionnaire.scale}
    top = questionnaire.max_value
    dimensions: dict[str, float | None] = {}
    for dimension in questionnaire.dimensions:
        values = []
        for item in dimension.items:
            value = answers.get(item.key)
            if value is None:
                continue
            if value not in allowed:
                raise ValueError(f"{item.key}: {value!r} is not on the scale")
            values.append(value)
        mean = _mean(values)
        dimensions[dimension.key] = None if mean is None else round(mean / top * 100, 1)
    overall = _mean([value for value in dimensions.values() if value is not None])
    overall = None if overall is None else round(overall, 1)
    level = questionnaire.level_for(overall)
    return Result(dimensions=dimensions, overall=overall, level=level.level if level else None)
