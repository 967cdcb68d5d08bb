"""Forms for reminders, snoozing, the follow-up rules and the small action buttons (CSRF only)."""

from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from app.cases import workflow
from app.inputs import NOT_IN_LIST, db_id
from app.scheduling.mail_templates import TEMPLATES, TYPE_LABELS

ACTION_LABELS = {
    "reminder": _l("Reminder for the case owner"),
    "email_business": _l("Email to the business"),
    "email_partner": _l("Email to the partner"),
}
# Which audience an action's template must be written for.
ACTION_AUDIENCE = {"email_business": "business", "email_partner": "partner"}
DEFAULT_TIME = time(9, 0)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReminderForm(FlaskForm):
    title = StringField(_l("What is to be done?"), validators=[
        InputRequired(_l("Please describe what is to be done.")),
        Length(max=200, message=_l("At most 200 characters."))])
    due_date = DateField(_l("Due on"), validators=[InputRequired(_l("Please enter the date."))])
    due_time = TimeField(_l("at"), default=DEFAULT_TIME, validators=[InputRequired(_l("Please enter the time."))])
    assignee_id = SelectField(_l("For"), coerce=db_id, invalid_value_message=NOT_IN_LIST)

    def __init__(self, *args, earliest: date, assignees=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.earliest = earliest  # a new due date may not lie before this day
        self.assignee_id.choices = [(user.id, user.name) for user in assignees]

    def validate_title(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Please describe what is to be done."))

    def validate_due_date(self, field) -> None:
        if field.data and field.data < self.earliest:
            raise ValidationError(_l("The date lies in the past. Please choose today or a later day."))


class SnoozeForm(FlaskForm):
    by = HiddenField(validators=[InputRequired()])
    until = DateField(_l("Postpone to"))

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_by(self, field) -> None:
        if field.data not in ("day", "week", "date"):
            raise ValidationError(_l("Please choose how long to postpone."))

    def validate_until(self, field) -> None:
        field.errors[:] = []  # the date only counts when it was chosen, and then with our message
        if self.by.data != "date":
            return
        if field.data is None:
            raise ValidationError(_l("Please enter the date."))
        if field.data <= self.today:
            raise ValidationError(_l("Please choose a day after today."))


class RuleForm(FlaskForm):
    state = SelectField(_l("On entering the state"), choices=[(s, workflow.STATE_LABELS[s]) for s in workflow.STATES])
    action = SelectField(_l("What happens"), choices=list(ACTION_LABELS.items()))
    delay_days = IntegerField(_l("After how many business days"), validators=[
        InputRequired(_l("Please enter the delay in business days.")),
        NumberRange(min=0, max=365, message=_l("The delay must be between 0 and 365 business days."))])
    title = StringField(_l("Title of the reminder"),
                        validators=[Length(max=200, message=_l("At most 200 characters."))])
    template_key = SelectField(_l("Email template"))
    until_answer = BooleanField(_l("Reminder only while the business has not answered a follow-up email"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.template_key.choices = [("", _l("– none (reminder) –"))] + [
            (t.key, f"{t.label} ({TYPE_LABELS[t.type]})") for t in TEMPLATES.values()
            if t.audience != "staff" and t.by_rule]

    def validate_title(self, field) -> None:
        if self.action.data == "reminder" and not (field.data or "").strip():
            raise ValidationError(_l("A reminder needs a title."))

    def validate_template_key(self, field) -> None:
        audience = ACTION_AUDIENCE.get(self.action.data)
        if audience is None:
            return
        template = TEMPLATES.get(field.data or "")
        if template is None or template.audience != audience or not template.by_rule:
            raise ValidationError(_l("Please choose a template for emails to businesses.") if audience == "business"
                                  else _l("Please choose the template for emails to partners."))


class MailTextForm(FlaskForm):
    """A follow-up mail's subject, plain text and HTML as Jinja sources (app.scheduling.mail_texts checks them),
    and the case its preview is rendered for."""

    subject = StringField(_l("Subject"))
    body_text = TextAreaField(_l("Plain text"), render_kw={"rows": 18, "spellcheck": "true"})
    body_html = TextAreaField(_l("HTML"), render_kw={"rows": 18})
    case_id = StringField(_l("Case number for the preview"))
