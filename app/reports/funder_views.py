"""The funder's report (page, XLSX, CSV), the case-level export and the programme targets: lead and admin."""

import io
import tempfile

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.auth.access import access
from app.reports import case_export, export, period, targets
from app.reports.funder import funder_report
from app.reports.funder_tables import tables
from app.reports.target_forms import TargetsForm, field_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"

bp = Blueprint("funder", __name__)


def _period():
    """The period of the query string, or the German message why it is none (and the default period)."""
    try:
        return period.from_args(request.args), None
    except period.BadPeriod as bad:
        return period.year(period.today_berlin().year), bad.message


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@bp.get("/report")
@access("lead", "admin")
def funder():
    """The funder's report for a period: tables with their definitions, and the downloads."""
    chosen, problem = _period()
    report = funder_report(chosen)
    return render_template("reports/funder.html", report=report, tables=tables(report), problem=problem,
                           presets=period.presets(), number=format_decimal), 400 if problem else 200


@bp.get("/report.xlsx")
@access("lead", "admin")
def funder_xlsx():
    """The report as an Excel workbook (cover sheet and one sheet per table)."""
    chosen, problem = _period()
    if problem:
        flash(problem, "error")
        return redirect(url_for("funder.funder"))
    report = funder_report(chosen)
    buffer = io.BytesIO()  # a few kilobytes: ten small sheets
    export.write_xlsx(report, buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=export.file_name(report, "xlsx"))


@bp.get("/report.csv")
@access("lead", "admin")
def funder_csv():
    """The report as one CSV file for Excel, one section per table."""
    chosen, problem = _period()
    if problem:
        flash(problem, "error")
        return redirect(url_for("funder.funder"))
    report = funder_report(chosen)
    return Response(export.csv_text(report).encode("utf-8"), mimetype=CSV,
                    headers=_attachment(export.file_name(report, "csv")))


@bp.get("/report/cases")
@access("lead", "admin")
def case_list_export():
    """One row per case for pivot tables, streamed (CSV) or written to a temporary file (XLSX)."""
    with_emails = request.args.get("emails") == "1"
    if request.args.get("format") == "xlsx":
        # On disk, not in memory (a million rows); send_file closes it, and so deletes it, when the response ends.
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        case_export.write_xlsx(spool, with_emails)
        spool.seek(0)
        return send_file(spool, mimetype=XLSX, as_attachment=True, download_name="faelle.xlsx")
    return Response(_in_own_context(current_app._get_current_object(), case_export.csv_chunks, with_emails),
                    mimetype=CSV,
                    headers=_attachment("faelle.csv"))


def _in_own_context(app, produce, *args):
    """Produce each piece of a streamed body in an application context (and database session) of its own: the
    request's context is gone when the server asks for the later pieces, and a server may ask from any context.
    The pieces need no common transaction (the case export pages by id)."""
    pieces = None
    while True:
        with app.app_context():
            pieces = pieces or produce(*args)
            piece = next(pieces, None)
        if piece is None:
            return
        yield piece


@bp.get("/targets")
@access("lead", "admin")
def targets_page():
    """Progress against the programme's targets, per programme year and for all three years."""
    return render_template("reports/targets.html", spans=targets.progress(), number=format_decimal,
                           labels=targets.METRIC_LABELS, definitions=targets.METRIC_DEFINITIONS)


@bp.route("/targets/edit", methods=["GET", "POST"])
@access("lead", "admin")
def edit_targets():
    """The targets per programme year and metric."""
    form = TargetsForm()
    if request.method == "GET":
        form.fill(targets.targets())
    elif form.validate_on_submit():
        targets.save_targets(form.values())
        flash(_("The targets were saved."), "success")
        return redirect(url_for("funder.targets_page"))
    status = 400 if form.errors else 200
    years = [(n, period.programme_year(n)) for n in range(1, period.PROGRAMME_YEARS + 1)]
    return render_template("reports/targets_edit.html", form=form, years=years, field_name=field_name,
                           labels=targets.METRIC_LABELS, metrics=list(targets.METRIC_LABELS)), status
