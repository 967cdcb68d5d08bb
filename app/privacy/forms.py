"""The erasure's confirmation: the business name typed again."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class EraseForm(FlaskForm):
    confirmation = StringField(_l("Type the business name to confirm"), validators=[
        DataRequired(_l("Please type the business name to confirm.")), Length(max=200)])
