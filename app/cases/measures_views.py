"""Recording measures (Maßnahmen) on a case and changing their status."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app import transactions
from app.auth.access import CASE_WORKERS, access
from app.cases import measures
from app.cases.models import Case, Measure
from app.cases.records import RecordForm, save_record
from app.extensions import db
from app.inputs import NOT_IN_LIST, db_id

bp = Blueprint("measures", __name__)


@bp.app_template_global()
def measure_status_label(status: str) -> str:
    return str(measures.STATUS_LABELS.get(status, status))


@bp.app_context_processor
def measure_statuses() -> dict:
    return {"MEASURE_STATUSES": list(measures.STATUS_LABELS)}


class StatusForm(FlaskForm):
    """A measure's status with the date it was implemented (needed, and not in the future, for "implemented")."""

    status = SelectField(_l("Status"), choices=list(measures.STATUS_LABELS.items()), default=measures.IMPLEMENTED)
    implemented_on = DateField(_l("Implemented on"), validators=[Optional()])

    def validate_implemented_on(self, field) -> None:
        try:
            measures.check_implemented_on(self.status.data, field.data)
        except measures.MeasureError as error:
            raise ValidationError(error.message) from error


class MeasureForm(RecordForm, StatusForm):
    topic_id = SelectField(_l("Topic"), coerce=db_id, invalid_value_message=NOT_IN_LIST, validators=[Optional()])
    description = TextAreaField(_l("What did the business do?"), validators=[
        DataRequired(_l("Please describe the measure.")), Length(max=5000)])


@bp.route("/cases/<int:case_id>/measures", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def new(case_id: int):
    """Record a measure on the case (and perhaps move the case to "implemented")."""
    case = db.get_or_404(Case, case_id)
    form = MeasureForm()
    topics = {t.id: t for t in measures.topics()}
    form.topic_id.choices = [("", _("No topic"))] + [(t.id, t.name) for t in topics.values()]
    form.offer_move(case, current_user, "implemented_measure")
    if form.validate_on_submit() and (done := save_record(
            form, case, "implemented_measure", _("The measure is recorded."),
            lambda: measures.record_measure(case, current_user, form.description.data, form.status.data,
                                            topics.get(form.topic_id.data), form.implemented_on.data,
                                            form.wants_move))):
        return done
    return render_template("measures/record.html", form=form, case=case,
                           recorded=measures.measures_for_case(case.id)), 422 if form.errors else 200




@bp.route("/measures/<int:measure_id>/status", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def change_status(measure_id: int):
    """Change a measure's status (suggested, planned, in progress, implemented with its date, dropped)."""
    measure = db.get_or_404(Measure, measure_id)
    case = db.get_or_404(Case, measure.case_id)
    form = StatusForm(obj=measure)
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                changed = measures.change_status(measure, case, current_user, form.status.data,
                                                 form.implemented_on.data)
        except measures.MeasureError as error:
            form[error.field].errors.append(error.message)
        else:
            if changed:
                flash(_("The status of the measure is now “%(status)s”.",
                        status=measures.STATUS_LABELS[measure.status]), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor=f"measure-{measure.id}"))
    status = 422 if form.errors else 200
    return render_template("measures/status.html", form=form, case=case, measure=measure), status
