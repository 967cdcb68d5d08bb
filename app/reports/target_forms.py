"""The targets form: one field per programme year and metric, each empty (no target) or a whole number >= 0."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from app.inputs import parse_int
from app.reports.period import PROGRAMME_YEARS
from app.reports.target_models import METRICS

MAX_TARGET = 10_000_000
NOT_A_TARGET = _l("Please enter a whole number from 0 (or leave the field empty for no target).")


def field_name(year: int, metric: str) -> str:
    return f"y{year}_{metric}"


class TargetField(StringField):
    """A target: ASCII digits only (no "1.5", "-3", "²" or "١٢"), 0 to ten million; empty means no target."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip()

    def pre_validate(self, form):
        if self.data and parse_int(self.data, minimum=0, maximum=MAX_TARGET) is None:
            raise ValidationError(NOT_A_TARGET)

    @property
    def number(self) -> int | None:
        return parse_int(self.data, minimum=0, maximum=MAX_TARGET) if self.data else None


class TargetsForm(FlaskForm):
    def values(self) -> dict[tuple[int, str], int | None]:
        return {(year, metric): self[field_name(year, metric)].number
                for year in range(1, PROGRAMME_YEARS + 1) for metric in METRICS}

    def fill(self, targets: dict[tuple[int, str], int]) -> None:
        for (year, metric), value in targets.items():
            if metric in METRICS and 1 <= year <= PROGRAMME_YEARS:
                self[field_name(year, metric)].data = str(value)


for _year in range(1, PROGRAMME_YEARS + 1):
    for _metric in METRICS:
        setattr(TargetsForm, field_name(_year, _metric), TargetField(_l("Target")))
