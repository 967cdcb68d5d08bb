"""How a check's answers are stored (Check.answers, JSON), for every questionnaire version.

v1 asked only about implementation: item key -> scale value, or None for "keine Angabe".
From v2 on each item is rated twice: item key -> {"implementation": value, "relevance": value},
where None means "keine Angabe" and a missing key means "not answered yet". A plain value under
a v2 questionnaire counts as its implementation, with the relevance not yet answered.
"""

from typing import Any

from app.checks.questionnaire import Questionnaire

IMPLEMENTATION = "implementation"
RELEVANCE = "relevance"
RATINGS = (IMPLEMENTATION, RELEVANCE)

Answers = dict[str, Any]  # item key -> int | None | {"implementation": int | None, "relevance": int | None}


def implementation(answer: Any) -> int | None:
    return answer.get(IMPLEMENTATION) if isinstance(answer, dict) else answer


def relevance(answer: Any) -> int | None:
    return answer.get(RELEVANCE) if isinstance(answer, dict) else None


def given(answer: Any, rating: str) -> bool:
    """Whether this rating of an item was answered (a value or "keine Angabe")."""
    if isinstance(answer, dict):
        return rating in answer
    return rating == IMPLEMENTATION


def is_complete(questionnaire: Questionnaire, answers: Answers, key: str) -> bool:
    """Whether an item is fully answered: every rating the version asks for is given."""
    if key not in answers:
        return False
    ratings = RATINGS if questionnaire.rates_relevance else (IMPLEMENTATION,)
    return all(given(answers[key], rating) for rating in ratings)


def merge(questionnaire: Questionnaire, old: Answers, new: Answers) -> Answers:
    """The stored answers with newly given ones laid over them (a rating given earlier stays)."""
    merged = dict(old)
    for key, answer in new.items():
        if questionnaire.rates_relevance:
            before = merged.get(key)
            base = before if isinstance(before, dict) else ({IMPLEMENTATION: before} if key in merged else {})
            merged[key] = {**base, **answer} if isinstance(answer, dict) else {**base, IMPLEMENTATION: answer}
        else:
            merged[key] = implementation(answer)
    return merged


def validate(questionnaire: Questionnaire, answers: Answers) -> None:
    """Raise ValueError when a value is off its scale (None, "keine Angabe", is always allowed)."""
    allowed = {IMPLEMENTATION: {o.value for o in questionnaire.scale},
               RELEVANCE: {o.value for o in questionnaire.relevance_scale}}
    for key, answer in answers.items():
        for rating, value in ((IMPLEMENTATION, implementation(answer)), (RELEVANCE, relevance(answer))):
            if value is not None and value not in allowed[rating]:
                raise ValueError(f"{key}: {value!r} is not on the {rating} scale")
