"""Forms of the pipeline page: the list filter (GET) and the reassignment (POST)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField
from wtforms.validators import ValidationError

from app.cases.workflow import STATES, state_label
from app.inputs import parse_int

NO_SELECTION = _l("Please select at least one case.")
UNKNOWN_SCOUT = _l("Please choose an active process scout to take over the cases.")


def int_or_none(value) -> int | None:
    """Coerce a select's value; anything that is not an id means "nothing chosen"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return parse_int(value)


class IdListField(Field):
    """The ids of the ticked checkboxes (several inputs with the same name)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)

    def process_formdata(self, valuelist):
        ids = [parse_int(value) for value in valuelist]
        if None in ids:
            self.data = []
            raise ValueError(NO_SELECTION)
        self.data = ids


class FilterForm(FlaskForm):
    """Filters of the case list; read from the query string, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    owner = SelectField(_l("Scout"), coerce=int_or_none, validate_choice=False)
    state = SelectField(_l("State"), validate_choice=False)
    municipality = SelectField(_l("Municipality"), coerce=int_or_none, validate_choice=False)

    def set_choices(self, owners: list[tuple[int, str]], towns: list[tuple[int, str]]) -> None:
        everyone = ("", _l("All"))
        self.owner.choices = [everyone, *owners]
        self.state.choices = [everyone, *((state, state_label(state)) for state in STATES)]
        self.municipality.choices = [everyone, *towns]

    def chosen(self, field: SelectField):
        """The field's value when it is one of its choices (an unknown value filters nothing)."""
        allowed = {value for value, _label in field.choices if value != ""}
        return field.data if field.data in allowed else None


class ReassignForm(FlaskForm):
    case_ids = IdListField(_l("Cases"))
    new_owner = SelectField(_l("Hand over to"), coerce=int_or_none, validate_choice=False)

    def validate_case_ids(self, field: IdListField) -> None:
        if not field.data:
            raise ValidationError(NO_SELECTION)

    def validate_new_owner(self, field: SelectField) -> None:
        if field.data is None or field.data not in {value for value, _label in field.choices}:
            raise ValidationError(UNKNOWN_SCOUT)
