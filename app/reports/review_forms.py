"""Forms of the review queue (the stuck limits) and of the bulk hand-overs (offboarding, the pipeline's filter)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from app.cases.workflow import STATE_LABELS
from app.reports.forms import UNKNOWN_SCOUT, int_or_none
from app.reports.review import MAX_WORKING_DAYS, WATCHABLE


class ThresholdForm(FlaskForm):
    """One field per watched state: working days without activity; empty switches the state off."""

    def limits(self) -> dict[str, int | None]:
        return {state: self[state].data for state in WATCHABLE}


for _state in WATCHABLE:
    setattr(ThresholdForm, _state, IntegerField(STATE_LABELS[_state], validators=[
        Optional(), NumberRange(min=1, max=MAX_WORKING_DAYS,
                                message=_l("Please enter between 1 and %(max)d working days, or leave it empty.",
                                           max=MAX_WORKING_DAYS))]))


class HandoverForm(FlaskForm):
    """Who takes over all the cases; `confirmed` is the second step after the count was named."""

    new_owner = SelectField(_l("Hand over to"), coerce=int_or_none, validate_choice=False)
    confirmed = BooleanField()

    def validate_new_owner(self, field: SelectField) -> None:
        if field.data is None or field.data not in {value for value, _label in field.choices}:
            raise ValidationError(UNKNOWN_SCOUT)
