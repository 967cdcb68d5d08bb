"""The import pages: upload, map the columns, see the dry run, start the import and watch its progress; and the
lead's page that opens cases for a selection of businesses."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app import transactions
from app.auth import services as auth_services
from app.auth.access import access
from app.errors import DomainError
from app.extensions import db
from app.imports import opening, reading, runs
from app.imports.forms import OpenCasesForm, SelectionForm, StartForm, UploadForm, mapping_form
from app.imports.models import ImportRun, RunStatus
from app.imports.rows import FIELDS, REASONS
from app.inputs import accepts_upload
from app.reference.models import Municipality, Trade

bp = Blueprint("imports", __name__, url_prefix="/import")
IMPORTERS = ("lead", "admin")
STATUS_LABELS = {RunStatus.CHECKED: _l("checked, not started"), RunStatus.QUEUED: _l("waiting"),
                 RunStatus.RUNNING: _l("running"), RunStatus.DONE: _l("done"), RunStatus.FAILED: _l("failed")}
ACTIONS = {"create": _l("new"), "update": _l("update"), "unchanged": _l("unchanged"), "skip": _l("skipped")}


def _run(run_id: int) -> ImportRun:
    return db.session.get(ImportRun, run_id) or abort(404)


def _upload_page(form: UploadForm, status: int = 200):
    recent = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(10))
    return render_template("imports/upload.html", form=form, recent=recent, number=format_decimal,
                           status_labels=STATUS_LABELS, kept_until=runs.kept_until), status


@bp.route("", methods=["GET", "POST"])
@access(*IMPORTERS)
@accepts_upload("IMPORT_MAX_BYTES")
def upload():
    """Upload the register's extract (CSV or XLSX)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.is_submitted() else 200)
    try:
        with transactions.refusable():
            run = runs.store_upload(form.file.data, current_user)
    except DomainError as error:
        form.file.errors.append(error.message)
        return _upload_page(form, 400)
    return redirect(url_for("imports.mapping", run_id=run.id))


@bp.route("/<int:run_id>/mapping", methods=["GET", "POST"])
@access(*IMPORTERS)
def mapping(run_id: int):
    """Which column of the file fills which field; saving it runs the dry run."""
    run = _run(run_id)
    if run.status != RunStatus.CHECKED or not runs.file_of(run).exists():
        return redirect(url_for("imports.show", run_id=run.id))
    headers = reading.headers(runs.file_of(run))
    form = mapping_form(headers, run.mapping, update_existing=run.update_existing)
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                runs.set_mapping(run, form.mapping(), form.update_existing.data)
                runs.dry_run(run)
            return redirect(url_for("imports.show", run_id=run.id))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 400 if form.is_submitted() else 200
    return render_template("imports/mapping.html", run=run, form=form, fields=FIELDS, headers=headers), status


@bp.get("/<int:run_id>")
@access(*IMPORTERS)
def show(run_id: int):
    """The dry run's result before the start, the progress while it runs, the counts when it is done."""
    run = _run(run_id)
    return render_template("imports/show.html", run=run, reasons=REASONS, actions=ACTIONS, number=format_decimal,
                           status=RunStatus, has_file=runs.file_of(run).exists(), form=StartForm(),
                           preview=runs.preview_of(run), kept_until=runs.kept_until(run))


@bp.get("/<int:run_id>/progress")
@access(*IMPORTERS)
def progress(run_id: int):
    """The run's progress for the page's script (progress.js)."""
    run = _run(run_id)
    return jsonify(status=run.status, processed=run.processed, total=run.total, created=run.created,
                   updated=run.updated, unchanged=run.unchanged, skipped=run.skipped)


@bp.get("/<int:run_id>/errors.csv")
@access(*IMPORTERS)
def errors(run_id: int):
    """The rows the import skips, with the reason, as CSV for Excel."""
    run = _run(run_id)
    if not runs.file_of(run).exists():
        flash(_("The file of this import is no longer kept (it is deleted after the import or when it was not "
                "started in time), so its skipped rows cannot be downloaded."), "error")
        return redirect(url_for("imports.show", run_id=run.id))
    body = "".join(runs.error_file(run))
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="import-{run.id}-fehler.csv"'})


@bp.post("/<int:run_id>/start")
@access(*IMPORTERS)
def start(run_id: int):
    """Start the checked import; it runs in the background and the page shows its progress."""
    run = _run(run_id)
    if not StartForm().validate_on_submit():
        abort(400)
    try:
        with transactions.refusable():
            runs.queue(run)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("imports.show", run_id=run_id))
    runs.start_in_background(run.id)
    return redirect(url_for("imports.show", run_id=run.id))


def _selection_choices(form: SelectionForm) -> None:
    empty = [("", _("– all –"))]
    form.municipality_id.choices = empty + [(m.id, m.name) for m in db.session.scalars(
        select(Municipality).order_by(Municipality.name))]
    form.trade_group.choices = empty + [(g, g) for g in db.session.scalars(
        select(Trade.group).distinct().order_by(Trade.group))]
    form.trade_id.choices = empty + [(t.id, t.name) for t in db.session.scalars(select(Trade).order_by(Trade.name))]


def _selection(form: SelectionForm) -> opening.Selection:
    return opening.Selection(municipality_id=form.municipality_id.data or None,
                             trade_group=form.trade_group.data or None, trade_id=form.trade_id.data or None,
                             include_withdrawn=bool(form.include_withdrawn.data))


def _left_out(counts: opening.Counts) -> str:
    """Which selected businesses are not taken, and why ("" when none)."""
    reasons = []
    if counts.had_case:
        reasons.append(ngettext("%(num)d business has a running case", "%(num)d businesses have a running case",
                                counts.had_case) if counts.include_withdrawn else
                       ngettext("%(num)d business already had a case", "%(num)d businesses already had a case",
                                counts.had_case))
    if counts.anonymised:
        reasons.append(ngettext("%(num)d business is anonymised", "%(num)d businesses are anonymised",
                                counts.anonymised))
    return _("Left out: %(reasons)s.", reasons=", ".join(reasons)) if reasons else ""


@bp.route("/open-cases", methods=["GET", "POST"])
@access("lead")
def open_cases():
    """Open cases for the selected businesses (see app.imports.opening for which) and assign them to scouts in one
    step; the page says how many are taken and how many are left out, and why."""
    # The selection comes by GET (counting, no CSRF needed); opening is a POST with its CSRF token.
    form = OpenCasesForm() if request.method == "POST" else OpenCasesForm(request.args, meta={"csrf": False})
    _selection_choices(form)
    form.owners.choices = [(u.id, u.name) for u in auth_services.assignable_scouts()]
    if request.method == "POST" and form.validate_on_submit():
        try:
            with transactions.refusable():
                left_out = _left_out(opening.counts(_selection(form)))
                opened = opening.open_cases(_selection(form), form.owners.data or [], current_user)
        except DomainError as error:
            form.owners.errors.append(error.message)
        else:
            flash(" ".join(filter(None, (ngettext("%(num)d case was opened.", "%(num)d cases were opened.", opened),
                                         left_out))), "success")
            return redirect(url_for("imports.open_cases", **{k: v for k, v in request.form.items() if k in (
                "municipality_id", "trade_group", "trade_id", "include_withdrawn")}))
    valid = request.method == "POST" or form.validate()
    counts = opening.counts(_selection(form)) if valid else None
    status = 400 if request.method == "POST" or not valid else 200
    return render_template("imports/open_cases.html", form=form, counts=counts,
                           left_out=_left_out(counts) if counts else "", number=format_decimal), status
