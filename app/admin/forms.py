"""Forms of the reference data pages; the rules (unique names, postcodes, what is in use) live in region.py and
trades.py, which answer with the field they refuse."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional, Regexp

from app.reports.funder import ANNEXES as ANNEX_LABELS


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MunicipalityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter the municipality's name."))])
    district = StringField(_l("District"), validators=[DataRequired(_l("Please enter the district."))])


class PostcodeForm(FlaskForm):
    code = StringField(_l("Postcode"), validators=[DataRequired(_l("A postcode has exactly five digits."))])


class TradeForm(FlaskForm):
    number = StringField(_l("Number in the annex"), filters=[_stripped], validators=[
        Optional(), Regexp(r"^[1-9][0-9]{0,3}$", message=_l("Please enter a whole number from 1 to 9999."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter the trade's name."))])
    annex = SelectField(_l("Annex of the Trade and Crafts Code"), choices=list(ANNEX_LABELS.items()))
    group = StringField(_l("Trade group"), validators=[DataRequired(_l("Please enter the trade group."))],
                        render_kw={"list": "trade-groups"})
