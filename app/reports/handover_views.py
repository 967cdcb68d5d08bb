"""Handing many cases over at once: all of an account's cases before it is disabled (the admin's offboarding),
and all cases matching the pipeline's filter. Both name the count before anything changes; a large hand-over is
queued and its page shows the progress."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth import services as auth_services
from app.auth.access import access
from app.auth.models import User
from app.cases import readmodel
from app.cases.workflow import STATES
from app.extensions import db
from app.inputs import int_arg
from app.reports import offboarding, services
from app.reports.handover_models import HandoverJob, JobStatus
from app.reports.review_forms import HandoverForm

bp = Blueprint("handover", __name__)


def _scouts_for(form: HandoverForm, leaving: User | None = None) -> None:
    form.new_owner.choices = [("", "–"), *((user.id, user.name) for user in auth_services.assignable_scouts()
                                           if user != leaving)]


def _offboarding_page(user: User, form: HandoverForm, status: int = 200, problem: str | None = None):
    return render_template("reports/handover.html", account=user, form=form, problem=problem,
                           owned=offboarding.owned_cases(user), open_cases=offboarding.open_cases(user),
                           running=offboarding.running_for(user.id), number=format_decimal), status


@bp.route("/admin/users/<int:user_id>/handover", methods=["GET", "POST"])
@access("admin")
def offboard(user_id: int):
    """Before an account that owns cases is disabled: name its cases and hand them all to an active scout."""
    user = db.get_or_404(User, user_id)
    form = HandoverForm(formdata=request.form if request.method == "POST" else None)
    _scouts_for(form, leaving=user)
    if request.method == "GET":
        return _offboarding_page(user, form)
    if not form.validate_on_submit():
        return _offboarding_page(user, form, 422)
    try:
        with transactions.refusable():
            started = offboarding.start_offboarding(user, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        return _offboarding_page(user, form, 409, refused.message)
    if started.job:
        return redirect(url_for("handover.job", job_id=started.job.id))
    name = db.session.get(User, form.new_owner.data).name
    flash(ngettext("%(num)d case of %(old)s was handed over to %(name)s; the account is disabled.",
                   "%(num)d cases of %(old)s were handed over to %(name)s; the account is disabled.",
                   started.moved, old=user.name, name=name), "success")
    return redirect(url_for("auth.users"))


def _filters() -> services.CaseFilter:
    """The pipeline's filter from the query string (unknown values filter nothing, as on the pipeline)."""
    state = request.args.get("state")
    return services.CaseFilter(owner_id=int_arg("owner"), state=state if state in STATES else None,
                               municipality_id=int_arg("municipality"))


@bp.post("/pipeline/reassign-matching")
@access("lead")
def matching():
    """All cases matching the pipeline's filter, not only the page: first the count is named, then confirmed."""
    filters = _filters()
    form = HandoverForm()
    _scouts_for(form)
    count = readmodel.total(owner_id=filters.owner_id, state=filters.state, municipality_id=filters.municipality_id)
    back = url_for("reports.pipeline", _anchor="cases", **filters.as_args())
    if not form.validate_on_submit():
        flash(form.new_owner.errors[0] if form.new_owner.errors else _("Please try again."), "error")
        return redirect(back)
    name = db.session.get(User, form.new_owner.data).name
    if not form.confirmed.data:
        return render_template("reports/reassign_matching.html", form=form, filters=filters, count=count,
                               name=name, number=format_decimal, back=back)
    try:
        with transactions.refusable():
            started = offboarding.start_matching(filters, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        flash(refused.message, "error")
        return redirect(back)
    if started.job:
        return redirect(url_for("handover.job", job_id=started.job.id))
    flash(ngettext("%(num)d case was handed over to %(name)s.", "%(num)d cases were handed over to %(name)s.",
                   started.moved, name=name), "success")
    return redirect(back)


@bp.get("/handovers/<int:job_id>")
@access("lead", "admin")
def job(job_id: int):
    """A queued hand-over: its progress while it runs (progress.js polls), the result when it is done."""
    found = db.get_or_404(HandoverJob, job_id)
    names = {user.id: user.name for user in db.session.scalars(
        db.select(User).where(User.id.in_([found.from_owner_id or 0, found.to_owner_id])))}
    return render_template("reports/handover_job.html", job=found, status=JobStatus, names=names,
                           number=format_decimal)


@bp.get("/handovers/<int:job_id>/progress")
@access("lead", "admin")
def job_progress(job_id: int):
    """The hand-over's progress for the page's script."""
    found = db.get_or_404(HandoverJob, job_id)
    return jsonify(status=found.status, processed=found.done, total=found.total)
