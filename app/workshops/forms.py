"""Forms for workshops and for recording a business's attendance."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.cases.records import RecordForm
from app.inputs import NOT_IN_LIST, db_id


class WorkshopForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    topic_id = SelectField(_l("Topic"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                           validators=[InputRequired(_l("Please choose a topic."))])
    starts_at = DateTimeLocalField(_l("Date and time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                   validators=[InputRequired(_l("Please enter the date and time."))])
    place = StringField(_l("Place"), validators=[DataRequired(_l("Please enter the place.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class AttendanceForm(RecordForm):
    workshop_id = SelectField(_l("Workshop"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                              validators=[InputRequired(_l("Please choose a workshop."))])
