"""Forms for the partner directory and for referring a case to a partner."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional

from app.cases.records import RecordForm
from app.inputs import NOT_IN_LIST, CheckboxesField, db_id
from app.partners.answers import ANSWERS
from app.partners.models import PARTNER_KINDS

KIND_LABELS = {
    "university": _l("University"),
    "mittelstand_digital": _l("Mittelstand-Digital centre"),
    "economic_development": _l("Economic development agency"),
    "chamber": _l("Chamber"),
    "service_provider": _l("Service provider"),
}
assert set(KIND_LABELS) == set(PARTNER_KINDS), "every partner kind needs a German label"


class PartnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter the name.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])
    # Required (the referral mail goes there): app.partners.services.save_partner refuses it missing.
    email = EmailField(_l("Email address"), validators=[
        Optional(), Email(_l("Please enter a valid email address.")), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    website = StringField(_l("Website"), validators=[
        Optional(), URL(message=_l("Please enter a full web address starting with https://.")), Length(max=254)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    topic_ids = CheckboxesField(_l("Expertise topics"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                                invalid_choice_message=NOT_IN_LIST)
    active = BooleanField(_l("Active (offered for referrals)"), default=True)


class ReferralForm(RecordForm):
    partner_id = SelectField(_l("Partner"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                             invalid_choice_message=NOT_IN_LIST,
                             validators=[InputRequired(_l("Please choose a partner."))])
    topic_id = SelectField(_l("Topic"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                           invalid_choice_message=NOT_IN_LIST,
                           validators=[InputRequired(_l("Please choose a topic."))])
    consent = BooleanField(
        _l("The business agrees that we pass its data on to the partner."),
        validators=[DataRequired(_l("Without the business's consent we may not refer it to a partner."))],
    )
    note = TextAreaField(_l("Note for the partner"), validators=[Optional(), Length(max=5000)])


class WithdrawReferralForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the withdrawal"), validators=[
        DataRequired(_l("Please give a reason.")), Length(max=5000, message=_l("At most 5000 characters."))])


class PartnerAnswerForm(FlaskForm):
    answer = RadioField(_l("Your report"), choices=list(ANSWERS.items()),
                        invalid_choice_message=_l("Please choose an answer."),
                        validators=[InputRequired(_l("Please choose an answer."))])
    note = TextAreaField(_l("Note (optional)"), validators=[
        Optional(), Length(max=5000, message=_l("At most 5000 characters."))])
