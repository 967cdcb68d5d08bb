"""The import's forms: the upload, the column mapping (one select per field) and the lead's selection."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from app.imports.rows import FIELDS
from app.inputs import NOT_IN_LIST, CheckboxesField, db_id, parse_int

NOT_MAPPED = -1


class UploadForm(FlaskForm):
    file = FileField(_l("Extract of the register (CSV or Excel .xlsx)"),
                     validators=[FileRequired(_l("Please choose a file."))])


class StartForm(FlaskForm):
    """Starting a checked import: nothing to enter but the CSRF token."""


def _column(value) -> int:
    """A column index, or NOT_MAPPED (-1) for none; anything else is refused by the field (NOT_IN_LIST)."""
    if value is None or value == "" or value == NOT_MAPPED or value == str(NOT_MAPPED):
        return NOT_MAPPED
    number = value if isinstance(value, int) else parse_int(value, minimum=0, maximum=10_000)
    if number is None:
        raise ValueError("not a column")
    return number


class MappingForm(FlaskForm):
    update_existing = BooleanField(_l("Update existing businesses with the file's data"))

    def mapping(self) -> dict[str, int]:
        return {name: self[name].data for name in FIELDS if self[name].data != NOT_MAPPED}


for _name, _label in FIELDS.items():  # one select per field: which column of the file fills it
    setattr(MappingForm, _name, SelectField(_label, coerce=_column, default=NOT_MAPPED,
                                            invalid_value_message=NOT_IN_LIST))


def mapping_form(headers: list[str], mapping: dict[str, int], **kwargs) -> MappingForm:
    form = MappingForm(**kwargs)
    choices = [(NOT_MAPPED, _l("– not in the file –"))] + [(i, h or f"({i + 1})") for i, h in enumerate(headers)]
    for name in FIELDS:
        form[name].choices = choices
        if not form.is_submitted():
            form[name].data = mapping.get(name, NOT_MAPPED)
    return form


class SelectionForm(FlaskForm):
    """Which businesses (all filters optional) and to whom their new cases go (one scout, or round robin)."""

    municipality_id = SelectField(_l("Municipality"), coerce=db_id, invalid_value_message=NOT_IN_LIST,
                                  validators=[Optional()])
    trade_group = SelectField(_l("Trade group"), validators=[Optional()], invalid_value_message=NOT_IN_LIST)
    trade_id = SelectField(_l("Trade"), coerce=db_id, invalid_value_message=NOT_IN_LIST, validators=[Optional()])
    include_withdrawn = BooleanField(_l("Also businesses whose earlier case was withdrawn"))


class OpenCasesForm(SelectionForm):
    owners = CheckboxesField(_l("Scouts (several: the cases are dealt round robin)"), coerce=db_id,
                             invalid_value_message=NOT_IN_LIST)
