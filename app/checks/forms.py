"""The check's forms, built from the questionnaire: one step per dimension, then the review.

Each item has a radio group for its implementation ("q_<key>") and, from v2 on, one for its
relevance ("r_<key>"); both offer "keine Angabe".
"""

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField
from wtforms.validators import StopValidation

from app.cases.records import RecordForm
from app.checks import answers as ans
from app.checks.questionnaire import Item, Questionnaire, ScaleOption
from app.checks.recommendations import Suggestion, find_suggestion

NO_ANSWER = "na"  # "keine Angabe": an answer, but left out of the score and the gaps
PREFIX = {ans.IMPLEMENTATION: "q_", ans.RELEVANCE: "r_"}  # a prefix keeps item keys clear of the form's attributes


def field_name(item: Item, rating: str = ans.IMPLEMENTATION) -> str:
    return PREFIX[rating] + item.key


def _choices(scale: tuple[ScaleOption, ...]) -> list[tuple[str, str]]:
    return [*((str(option.value), option.label) for option in scale), (NO_ANSWER, _l("No answer"))]


def _open(field: RadioField) -> bool:
    """Nothing was sent for the item (or an empty value): it stays open."""
    return not field.raw_data or field.raw_data[0] == ""


def may_stay_open(_form, field: RadioField) -> None:
    """An item may stay open; anything sent must be one of its options (the radio group checks that)."""
    if _open(field):
        field.errors[:] = []
        raise StopValidation()


def _value(field: RadioField) -> tuple[bool, int | None]:
    """(given, value) of a validated radio group."""
    if _open(field):
        return False, None
    if field.data == NO_ANSWER:
        return True, None
    return True, int(field.data)  # one of the options' values (validated against the choices)


class StepForm(FlaskForm):
    """The items of one dimension; unanswered items stay open."""

    questionnaire: Questionnaire
    step: int

    @property
    def dimension(self):
        return self.questionnaire.dimensions[self.step - 1]

    def rating_fields(self, item: Item) -> list[tuple[str, RadioField]]:
        ratings = ans.RATINGS if self.questionnaire.rates_relevance else (ans.IMPLEMENTATION,)
        return [(rating, self[field_name(item, rating)]) for rating in ratings]

    def has_errors(self, item: Item) -> bool:
        return any(f.errors for _rating, f in self.rating_fields(item))

    def answers(self) -> ans.Answers:
        """The ratings given on this step: stored form (see app.checks.answers); open items are absent."""
        given: ans.Answers = {}
        for item in self.dimension.items:
            ratings = {rating: value for rating, f in self.rating_fields(item)
                       for answered, value in [_value(f)] if answered}
            if not ratings:
                continue
            given[item.key] = ratings if self.questionnaire.rates_relevance else ratings[ans.IMPLEMENTATION]
        return given


@cache
def step_form_class(questionnaire: Questionnaire, step: int) -> type[StepForm]:
    """One form class per questionnaire version and dimension step."""
    dimension = questionnaire.dimensions[step - 1]
    fields = {}
    for item in dimension.items:
        fields[field_name(item)] = RadioField(_l("How far is it implemented?"), choices=_choices(questionnaire.scale),
                                              validators=[may_stay_open])
        if questionnaire.rates_relevance:
            fields[field_name(item, ans.RELEVANCE)] = RadioField(
                _l("How relevant is it for the business?"), choices=_choices(questionnaire.relevance_scale),
                validators=[may_stay_open])
    name = f"StepForm_{questionnaire.version}_{step}"
    return type(name, (StepForm,), {"questionnaire": questionnaire, "step": step, **fields})


def initial_data(answers: ans.Answers) -> dict[str, str]:
    """Saved answers as the form's field values."""
    data = {}
    for key, answer in answers.items():
        for rating, prefix in PREFIX.items():
            if ans.given(answer, rating):
                value = ans.implementation(answer) if rating == ans.IMPLEMENTATION else ans.relevance(answer)
                data[prefix + key] = NO_ANSWER if value is None else str(value)
    return data


class ReviewForm(RecordForm):
    """The last step: complete the check (and perhaps move the case to "check_done")."""


class RefListField(Field):
    """The values of the ticked checkboxes (several inputs with the same name)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)

    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(valuelist))


class TakeOverForm(FlaskForm):
    """Suggested measures of a result, ticked to be taken over into the case (the values are refs)."""

    suggestion = RefListField(_l("Suggested measures"))

    def chosen(self, questionnaire: Questionnaire) -> list[Suggestion]:
        found = [find_suggestion(questionnaire, ref) for ref in self.suggestion.data or []]
        return [suggestion for suggestion in found if suggestion is not None]

