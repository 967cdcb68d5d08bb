"""The check form, built from the questionnaire: one radio group per question."""

from functools import cache

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField
from wtforms.validators import Optional

from app.cases.records import RecordForm
from app.checks.questionnaire import Item, Questionnaire

NO_ANSWER = "na"  # "keine Angabe": an answer, but left out of the score


def field_name(item: Item) -> str:
    return f"q_{item.key}"  # a prefix keeps item keys clear of the form's own attributes


class CheckFormBase(RecordForm):
    save = SubmitField(_l("Save draft"))
    complete = SubmitField(_l("Complete check"))

    questionnaire: Questionnaire

    def item_field(self, item: Item) -> RadioField:
        return self[field_name(item)]

    def answers(self) -> dict[str, int | None]:
        """The answers given: item key -> value, None for "no answer"; open questions are absent."""
        given: dict[str, int | None] = {}
        for item in self.questionnaire.items:
            value = self.item_field(item).data
            if value == NO_ANSWER:
                given[item.key] = None
            elif value not in (None, ""):
                given[item.key] = int(value)
        return given


@cache
def check_form_class(questionnaire: Questionnaire) -> type[CheckFormBase]:
    """One form class per questionnaire version, with a field per question."""
    choices = [(str(option.value), option.label) for option in questionnaire.scale]
    choices.append((NO_ANSWER, _l("No answer")))
    fields = {
        field_name(item): RadioField(item.text, choices=choices, validators=[Optional()])
        for item in questionnaire.items
    }
    return type(f"CheckForm_{questionnaire.version}", (CheckFormBase,), {"questionnaire": questionnaire, **fields})


def initial_data(answers: dict[str, int | None]) -> dict[str, str]:
    """A saved draft's answers as the form's field values."""
    return {f"q_{key}": NO_ANSWER if value is None else str(value) for key, value in answers.items()}
