"""The public request form and the confirm button of the opt-in link."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.extensions import db
from app.inputs import NOT_IN_LIST, db_id, parse_int
from app.intake import spam
from app.reference.models import Trade


def _one_line(value):
    """Blanks around and runs of white space (a pasted line break, too) become one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


ONE_LINE = [_one_line]  # a pasted address or postcode often brings blanks along
STRIP = [_strip]


class RequestForm(FlaskForm):
    name = StringField(_l("Name of the business"), filters=ONE_LINE, validators=[
        DataRequired(_l("Please enter the name of your business.")),
        Length(max=200, message=_l("At most 200 characters."))])
    contact_name = StringField(_l("Contact person"), filters=ONE_LINE, validators=[
        DataRequired(_l("Please enter the name of the contact person.")),
        Length(max=120, message=_l("At most 120 characters."))])
    email = EmailField(_l("Email address"), filters=ONE_LINE, validators=[
        DataRequired(_l("Please enter your email address: we send you a link to confirm the request.")),
        Length(max=254, message=_l("At most 254 characters.")),
        Email(_l("Please enter a valid email address."), check_deliverability=False)])
    phone = TelField(_l("Phone (optional)"), filters=ONE_LINE, validators=[Optional(), Regexp(
        r"^\+?[0-9 ()/-]{6,40}$",
        message=_l("Please enter a phone number with digits only (spaces, / and - allowed)."))])
    postcode = StringField(_l("Postcode of the business"), filters=ONE_LINE, validators=[
        DataRequired(_l("Please enter the postcode.")),
        Regexp(r"^\d{5}$", message=_l("A postcode has exactly five digits."))])
    trade_id = SelectField(_l("Trade"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                           validators=[DataRequired(_l("Please choose the trade."))])
    employees = StringField(_l("Number of employees (optional)"), filters=ONE_LINE, validators=[Optional(), Regexp(
        r"^[0-9]{1,5}$", message=_l("Please enter the number of employees as a whole number, e.g. 12."))])
    message = TextAreaField(_l("What would you like to improve in your business?"), filters=STRIP, validators=[
        DataRequired(_l("Please tell us in a few words what the check should be about.")),
        Length(max=2000, message=_l("At most 2000 characters."))])
    consent = BooleanField(validators=[DataRequired(_l("Please agree, so that we may handle your request."))])
    # Bots fill it; people never see it (app.intake.spam).
    website = StringField(_l("Leave this field empty"), id=spam.HONEYPOT)
    shown_at = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trade_id.choices = [(0, _l("– please choose –"))] + [
            (t.id, t.name) for t in db.session.scalars(select(Trade).order_by(Trade.name))]

    def values(self) -> dict:
        data = {name: self[name].data for name in ("name", "contact_name", "email", "phone", "postcode",
                                                  "trade_id", "message")}
        return {**data, "phone": data["phone"] or "", "employees": int(self.employees.data) if self.employees.data
                else None}


class ConfirmForm(FlaskForm):
    """Only the CSRF token: opening the link (GET) changes nothing, the button (POST) confirms."""


SCOUT_FIELD = "scout-"  # the assignment page's select of one municipality: scout-<municipality id>


def assignment_choices(formdata) -> dict[int, int | None]:
    """The assignment page's selects: municipality id -> scout id, None for automatic.

    What no select of the page sends becomes id 0, which no row has, so the save refuses it.
    """
    return {parse_int(key.removeprefix(SCOUT_FIELD)) or 0: None if value == "" else parse_int(value) or 0
            for key, value in formdata.items() if key.startswith(SCOUT_FIELD)}
