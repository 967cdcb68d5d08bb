"""The lead's review queue (/review): what needs the lead's attention, and reassigning from there."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import transactions
from app.auth import services as auth_services
from app.auth.access import access
from app.auth.models import User
from app.cases.workflow import state_label
from app.counting import shown
from app.extensions import db
from app.inputs import int_arg
from app.reports import review, services
from app.reports.forms import ReassignForm
from app.reports.review_forms import ThresholdForm

bp = Blueprint("review", __name__)
STEERING = ("lead", "admin")
SECTIONS = ("stuck", "overdue", "waiting", "failed")


def _page(name: str) -> int:
    return int_arg(f"{name}_page", 1, maximum=10_000)


def _render(form: ReassignForm | None = None, thresholds: ThresholdForm | None = None, status: int = 200,
            problem: str | None = None):
    per_page = current_app.config["PAGE_SIZE"]
    form = form or ReassignForm(formdata=None)
    form.new_owner.choices = [("", "–"), *((user.id, user.name) for user in auth_services.assignable_scouts())]
    limits = review.thresholds()
    thresholds = thresholds or ThresholdForm(formdata=None, data=limits)
    cuts = review.cutoffs()
    stuck_counts = review.stuck_counts(cuts)
    stuck_state = request.args.get("stuck_state") if request.args.get("stuck_state") in cuts else None
    per_assignee = review.overdue_per_assignee()
    assignee_id = int_arg("assignee")
    assignee_total = dict((user.id, n) for user, n in per_assignee).get(assignee_id) if assignee_id else None
    overdue_total = assignee_total if assignee_id else review.team_overdue()
    waiting_total, failed_total = review.waiting_count(), review.failed_count()
    return render_template(
        "reports/review.html",
        form=form, thresholds=thresholds, limits=limits, problem=problem,
        number=lambda count: shown(count, review.COUNT_CAP),
        stuck_counts=stuck_counts, stuck_state=stuck_state,
        stuck=review.stuck_page(cuts, stuck_counts, stuck_state, _page("stuck"), per_page),
        per_assignee=per_assignee, assignee_id=assignee_id if assignee_total is not None else None,
        overdue=review.overdue_page(assignee_id if assignee_total is not None else None,
                                    overdue_total or 0, _page("overdue"), per_page),
        waiting=review.waiting_page(waiting_total, _page("waiting"), per_page),
        failed=review.failed_page(failed_total, _page("failed"), per_page),
        idle_days=review.idle_days, state_label=state_label,
    ), status


@bp.get("/review")
@access(*STEERING)
def queue():
    """Stuck cases, overdue reminders per scout, cases waiting on the business and failed mails, to act on."""
    return _render()


@bp.post("/review/reassign")
@access(*STEERING)
def reassign():
    """Hand the cases ticked in one of the queue's sections over to a scout."""
    form = ReassignForm()
    form.new_owner.choices = [(user.id, user.name) for user in auth_services.assignable_scouts()]
    if not form.validate_on_submit():
        return _render(form, status=400)
    try:
        with transactions.refusable():
            moved = services.reassign_cases(form.case_ids.data, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        return _render(form, status=409, problem=refused.message)
    name = db.session.get(User, form.new_owner.data).name
    flash(ngettext("%(num)d case was handed over to %(name)s.", "%(num)d cases were handed over to %(name)s.",
                   moved, name=name), "success")
    section = request.args.get("section") if request.args.get("section") in SECTIONS else None
    return redirect(url_for("review.queue", _anchor=section))


@bp.post("/review/thresholds")
@access(*STEERING)
def thresholds():
    """Save after how many working days without activity a case in each state counts as stuck."""
    form = ThresholdForm()
    if not form.validate_on_submit():
        return _render(thresholds=form, status=422)
    try:
        with transactions.refusable():
            review.save_thresholds(form.limits())
    except review.ThresholdRefused as refused:
        return _render(thresholds=form, status=422, problem=refused.message)
    flash(_("The limits for stuck cases are saved."), "success")
    return redirect(url_for("review.queue", _anchor="stuck"))
