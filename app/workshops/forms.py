"""Forms for workshops, the check-in, invitations, withdrawing an attendance and the business's answer."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from app.cases.records import RecordForm
from app.inputs import NOT_IN_LIST, CheckboxesField, db_id, parse_int
from app.workshops.models import RegistrationStatus, WorkshopStatus

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
STATUS_LABELS = {
    WorkshopStatus.PLANNED: _l("planned (registration not open yet)"),
    WorkshopStatus.OPEN: _l("open for registration"),
    WorkshopStatus.FULL: _l("fully booked"),
    WorkshopStatus.HELD: _l("held"),
    WorkshopStatus.CANCELLED: _l("cancelled"),
}
REGISTRATION_LABELS = {
    RegistrationStatus.REGISTERED: _l("registered"),
    RegistrationStatus.WAITLISTED: _l("on the waiting list"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
    RegistrationStatus.ATTENDED: _l("attended"),
    RegistrationStatus.NO_SHOW: _l("did not come"),
}


class WorkshopForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    topic_ids = CheckboxesField(_l("Topics"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                                invalid_choice_message=NOT_IN_LIST,
                                validators=[DataRequired(_l("Please choose a topic."))])
    starts_at = DateTimeLocalField(_l("Date and time"), format=DATETIME_FORMATS,
                                   validators=[InputRequired(_l("Please enter the date and time."))])
    duration_minutes = IntegerField(_l("Duration in minutes"), default=120, validators=[
        InputRequired(_l("Please enter the duration.")),
        NumberRange(15, 1440, _l("Please enter a duration between 15 and 1440 minutes."))])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    online_url = URLField(_l("Online link"), validators=[
        Optional(), Length(max=500), URL(require_tld=True, message=_l("Please enter a complete web address."))])
    capacity = IntegerField(_l("Places"), default=20, validators=[
        InputRequired(_l("Please enter the number of places.")),
        NumberRange(1, 1000, _l("Please enter between 1 and 1000 places."))])
    registration_deadline = DateTimeLocalField(_l("Registration deadline"), format=DATETIME_FORMATS,
                                               validators=[Optional()])
    status = SelectField(_l("Status"), default=WorkshopStatus.OPEN, invalid_choice_message=NOT_IN_LIST,
                         choices=[(key, STATUS_LABELS[key]) for key in WorkshopStatus if key != WorkshopStatus.FULL])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class AttendanceForm(RecordForm):
    workshop_id = SelectField(_l("Workshop"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                              validators=[InputRequired(_l("Please choose a workshop."))])


class CheckInForm(FlaskForm):
    """The marks come as mark-<case id> fields (one per row, see parse_marks); this carries CSRF and the move."""

    move_on = BooleanField(_l("Set the cases to “Workshop attended” where possible"), default=True)
    # The second submit button: every registered business without a mark counts as attended (works without JS).
    all_registered = SubmitField(_l("Save all registered as attended"))


def parse_listed(formdata) -> set[int]:
    """The case ids of the rows the check-in page showed (its `listed` fields): "all registered" takes only
    those, not a business that registered or moved up from the waiting list after the page was loaded."""
    return {case_id for value in formdata.getlist("listed") if (case_id := parse_int(value)) is not None}


def parse_marks(formdata) -> dict[int, str] | None:
    """{case id: "attended" | "no_show"} from the mark-<id> fields; None when one of them is not of that form."""
    marks = {}
    for name, value in formdata.items():
        if not name.startswith("mark-"):
            continue
        case_id = parse_int(name.removeprefix("mark-"))
        if case_id is None or value not in ("attended", "no_show"):
            return None
        marks[case_id] = value
    return marks


class InviteForm(FlaskForm):
    case_ids = CheckboxesField(_l("Businesses to invite"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                               invalid_choice_message=_l(
                                   "A business is no longer on the list. Please reload the page."),
                               validators=[DataRequired(_l("Please choose at least one business."))])


class WithdrawAttendanceForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Please give a reason.")), Length(
        max=500, message=_l("The reason is too long (at most 500 characters)."))])


class ResponseForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=[("yes", _l("I will take part")), ("no", _l("I cannot come"))],
                        validators=[InputRequired(_l("Please choose an answer."))])
