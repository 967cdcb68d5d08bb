"""Forms for businesses, notes, moves and the next due date."""

import json
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from app.cases.vocab import Channel
from app.extensions import db
from app.inputs import NOT_IN_LIST, db_id
from app.reference.models import Municipality, Postcode, Trade

CHANNEL_LABELS = {Channel.CALL: _l("Phone call"), Channel.VISIT: _l("Visit"), Channel.EMAIL: _l("Email"),
                  Channel.OTHER: _l("Other")}


def municipalities_by_postcode() -> dict[str, list[int]]:
    """Each postcode of the region with its municipalities (one, or several where it spans more than one)."""
    found: dict[str, list[int]] = {}
    for code, municipality_id in db.session.execute(select(Postcode.code, Postcode.municipality_id)
                                                    .order_by(Postcode.code, Postcode.municipality_id)):
        found.setdefault(code, []).append(municipality_id)
    return found


class BusinessForm(FlaskForm):
    name = StringField(_l("Business name"), validators=[
        DataRequired(_l("Please enter the business name.")), Length(max=200, message=_l("At most 200 characters."))])
    trade_id = SelectField(_l("Trade"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                           validators=[DataRequired(_l("Please choose the trade."))])
    register_number = StringField(_l("Handwerksrolle number"), validators=[Optional()])
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[
        DataRequired(_l("Please enter the postcode.")),
        Regexp(r"^\d{5}$", message=_l("A postcode has exactly five digits."))])
    municipality_id = SelectField(_l("Municipality"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                                  validators=[DataRequired(_l("Please choose the municipality."))])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=120)])
    phone = TelField(_l("Phone"), validators=[Optional(), Regexp(
        r"^\+?[0-9 ()/-]{6,40}$",
        message=_l("Please enter a phone number with digits only (spaces, / and - allowed)."))])
    email = EmailField(_l("Email address"), validators=[
        Optional(), Email(_l("Please enter a valid email address."), check_deliverability=False)])
    employees = IntegerField(_l("Employees"), validators=[
        Optional(), NumberRange(min=0, max=100000, message=_l("Please enter a number of at least 0."))])
    email_consent = BooleanField(_l("The business agrees to receive emails from the programme"))
    consent_source = StringField(_l("How was the consent given?"), validators=[Length(max=200)])
    owner_id = SelectField(_l("Responsible scout"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                           validate_choice=False)
    confirm_duplicate = BooleanField(_l("Create anyway: this is a different business"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trade_id.choices = [(0, _l("– please choose –"))] + [
            (t.id, t.name) for t in db.session.scalars(select(Trade).order_by(Trade.name))]
        self.municipality_id.choices = [(0, _l("– please choose –"))] + [
            (m.id, m.name) for m in db.session.scalars(select(Municipality).order_by(Municipality.name))]
        # procheck.js chooses the municipality as the postcode is typed (the server does too, see validate).
        self.municipality_id.render_kw = {"data-postcodes": json.dumps(municipalities_by_postcode())}

    def validate(self, extra_validators=None) -> bool:
        """A postcode that belongs to one municipality fills in a municipality left unchosen."""
        code = (self.postcode.data or "").strip()
        if not self.municipality_id.data and re.fullmatch(r"\d{5}", code):
            ids = municipalities_by_postcode().get(code, [])
            if len(ids) == 1:
                self.municipality_id.data = ids[0]
        return super().validate(extra_validators)

    def validate_register_number(self, field) -> None:
        pattern = current_app.config["REGISTER_NUMBER_PATTERN"]
        if field.data and not re.fullmatch(pattern, field.data.strip()):
            raise ValidationError(_l("The Handwerksrolle number has the wrong format (e.g. 4 to 12 digits)."))

    def validate_postcode(self, field) -> None:
        if not self.municipality_id.data or not re.fullmatch(r"\d{5}", field.data or ""):
            return
        codes = set(db.session.scalars(select(Postcode.code).where(
            Postcode.municipality_id == self.municipality_id.data)))
        if codes and field.data not in codes:
            raise ValidationError(_l("The postcode %(code)s does not belong to the chosen municipality.",
                                     code=field.data))

    def validate_email_consent(self, field) -> None:
        if field.data and not (self.email.data or "").strip():
            raise ValidationError(_l("Email consent needs an email address."))

    def validate_consent_source(self, field) -> None:
        if self.email_consent.data and not (field.data or "").strip():
            raise ValidationError(_l("Please record how the business gave its consent."))


class NoteForm(FlaskForm):
    channel = SelectField(_l("Kind"), choices=list(CHANNEL_LABELS.items()))
    text = TextAreaField(_l("Note"), validators=[
        DataRequired(_l("Please write the note.")), Length(max=5000, message=_l("At most 5000 characters."))])


class MoveForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])

