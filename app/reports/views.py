"""The team lead's pipeline: counts per state, scout and municipality; reassigning cases."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth import services as auth_services
from app.auth.access import access
from app.inputs import int_arg, page_arg
from app.reports import charts, services
from app.reports import funnel as funnel_figures
from app.reports import programme as programme_figures
from app.reports.forms import FilterForm, ReassignForm

bp = Blueprint("reports", __name__)


def _render(form: ReassignForm, status: int = 200, problem: str | None = None):
    scouts = auth_services.active_scouts()
    towns = services.municipalities()
    by_scout = services.per_scout(scouts)
    filters_form = FilterForm(request.args)
    filters_form.set_choices([(row.key, row.label) for row in by_scout.rows], [(t.id, t.name) for t in towns])
    filters = services.CaseFilter(
        owner_id=filters_form.chosen(filters_form.owner),
        state=filters_form.chosen(filters_form.state),
        municipality_id=filters_form.chosen(filters_form.municipality),
    )
    form.new_owner.choices = [("", "–"), *((user.id, user.name) for user in scouts if user.takes_work)]
    page = services.case_page(filters, page_arg())
    return render_template(
        "reports/pipeline.html",
        per_state=services.counts_per_state(),
        by_scout=by_scout,
        by_town=services.per_municipality(towns),
        filters=filters,
        filter_form=filters_form,
        form=form,
        page=page,
        number=format_decimal,
        problem=problem,
    ), status


@bp.get("/pipeline")
@access("lead")
def pipeline():
    """Cases per state, per scout and per municipality, and the list to reassign from."""
    return _render(ReassignForm(formdata=None))


@bp.post("/pipeline/reassign")
@access("lead")
def reassign():
    """Hand the ticked cases over to another scout."""
    form = ReassignForm()
    form.new_owner.choices = [(user.id, user.name) for user in auth_services.assignable_scouts()]
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        with transactions.refusable():
            moved = services.reassign_cases(form.case_ids.data, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        return _render(form, 409, refused.message)
    name = dict(form.new_owner.choices)[form.new_owner.data]
    flash(ngettext("%(num)d case was handed over to %(name)s.", "%(num)d cases were handed over to %(name)s.",
                   moved, name=name), "success")
    if already := len(set(form.case_ids.data)) - moved:
        flash(ngettext("%(num)d case already belonged to %(name)s.", "%(num)d cases already belonged to %(name)s.",
                       already, name=name), "info")
    # Back to the same filter, on its first page: the handed-over cases may have left the later ones.
    return redirect(url_for("reports.pipeline", **{k: v for k, v in request.args.items() if k != "page"}))


@bp.get("/programme")
@access("lead")
def programme():
    """The programme's measured impact: checks, mean scores and the change T0→T1, by trade group and municipality."""
    figures = programme_figures.programme(request.args.get("group") or None, int_arg("municipality"))
    return render_template("reports/programme.html", programme=figures, number=format_decimal)


@bp.get("/funnel")
@access("lead", "admin")
def funnel():
    """The funnel and the time in each stage of a period's cohorts, by scout, trade group, municipality or size."""
    page = {"args": request.args, "kinds": funnel_figures.PERIOD_KINDS, "breakdowns": funnel_figures.BREAKDOWNS,
            "number": format_decimal, "month_text": funnel_figures.month_text}
    try:
        period = funnel_figures.parse_period(request.args)
    except funnel_figures.PeriodInvalid as invalid:
        return render_template("reports/funnel.html", report=None, problem=invalid.message, **page), 400
    result = funnel_figures.report(period, request.args.get("by", "owner"))
    return render_template(
        "reports/funnel.html", report=result, problem=None,
        funnel_chart=charts.funnel_chart(result.figures, format_decimal),
        stage_chart=charts.stage_chart(result.figures, format_decimal, _("Median"), _("80th percentile")), **page)
