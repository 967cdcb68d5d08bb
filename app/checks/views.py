"""Taking a check and showing its result."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import CASE_WORKERS, access
from app.cases.models import Case
from app.cases.records import announce
from app.cases.workflow import MoveRefused
from app.checks import services
from app.checks.forms import check_form_class, initial_data
from app.checks.models import Check
from app.extensions import db

bp = Blueprint("checks", __name__)


@bp.app_template_filter("score")
def score_filter(value: float | None) -> str:
    """A score the German way (62,5); a dash when there is none."""
    return "–" if value is None else format_decimal(value, "0.0")


@bp.app_template_global()
def check_level_name(check: Check) -> str:
    return services.questionnaire_of(check).level_name(check.level)


@bp.post("/cases/<int:case_id>/checks")
@access(*CASE_WORKERS)
def start(case_id: int):
    """Start a check for the case, or continue its open draft."""
    case = db.get_or_404(Case, case_id)
    check = services.start_or_continue(case, current_user)
    return redirect(url_for("checks.take", check_id=check.id))


@bp.route("/checks/<int:check_id>", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def take(check_id: int):
    """Fill in the check (works on a tablet); save a draft or complete it."""
    check = db.get_or_404(Check, check_id)
    if check.status == "completed":
        return redirect(url_for("checks.result", check_id=check.id))
    case = db.get_or_404(Case, check.case_id)
    questionnaire = services.questionnaire_of(check)
    form_class = check_form_class(questionnaire)
    form = form_class() if request.method == "POST" else form_class(data=initial_data(check.answers))
    form.offer_move(case, current_user, "check_done")
    missing = []
    if form.validate_on_submit():
        if form.complete.data:
            before = case.state
            try:
                problem = services.complete(check, case, current_user, form.answers(), form.wants_move)
            except services.IncompleteCheck as incomplete:
                missing = incomplete.missing
                flash(_("The check is not complete yet: %(count)d questions are open (see below). "
                        "Your answers are saved as a draft.", count=len(missing)), "error")
            except services.AlreadyCompleted:
                flash(_("This check was completed meanwhile by someone else."), "warning")
                return redirect(url_for("checks.result", check_id=check_id))
            except MoveRefused as refused:
                flash(refused.message, "error")
            else:
                flash(_("The digitalisation check is completed."), "success")
                announce(case, before, "check_done", form.wants_move, problem)
                return redirect(url_for("checks.result", check_id=check.id))
        else:
            services.save_draft(check, form.answers())
            flash(_("Your answers are saved as a draft."), "success")
            return redirect(url_for("checks.take", check_id=check.id))
    return render_template("checks/take.html", form=form, check=check, case=case, questionnaire=questionnaire,
                           missing={item.key for item in missing}, missing_items=missing)


@bp.get("/checks/<int:check_id>/result")
@access(*CASE_WORKERS)
def result(check_id: int):
    """The check's result: overall score, maturity level and each dimension's score."""
    check = db.get_or_404(Check, check_id)
    if check.status != "completed":
        flash(_("This check is not completed yet."), "info")
        return redirect(url_for("checks.take", check_id=check.id))
    case = db.get_or_404(Case, check.case_id)
    return render_template("checks/result.html", check=check, case=case,
                           questionnaire=services.questionnaire_of(check))
