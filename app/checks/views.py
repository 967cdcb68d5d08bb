"""Taking a check step by step (scout mode on a tablet), saving in the background, and its result."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth.access import CASE_WORKERS, access
from app.cases import measures
from app.cases.models import Case
from app.cases.records import announce_move
from app.checks import self_check, services
from app.checks.comparison import comparison_for
from app.checks.forms import ReviewForm, TakeOverForm
from app.checks.models import Check
from app.checks.results import result_page
from app.checks.runner import Runner
from app.extensions import db

bp = Blueprint("checks", __name__)


@bp.app_template_filter("score")
def score_filter(value: float | None) -> str:
    """A score the German way (62,5); a dash when there is none."""
    return "–" if value is None else format_decimal(value, "0.0")


@bp.app_template_filter("score_or_word")
def score_or_word_filter(value: float | None) -> str:
    """A score where a reader needs words for a missing one ("kein Ergebnis" instead of a bare dash)."""
    return _("no score") if value is None else format_decimal(value, "0.0")


@bp.app_template_filter("signed")
def signed_filter(value: float | None) -> str:
    """A change with its sign (+12,5 / −3,0); a dash when there is none."""
    return "–" if value is None else services.signed(value)


@bp.app_template_global()
def check_level_name(check: Check) -> str:
    return services.questionnaire_of(check).level_name(check.level)


@bp.app_template_global()
def check_comparison(checks: list[Check]):
    """The first check beside the latest re-check of a case's checks (already loaded), or None."""
    return comparison_for(checks)


@bp.post("/cases/<int:case_id>/checks")
@access(*CASE_WORKERS)
def start(case_id: int):
    """Start a check (or a re-check) for the case, or continue its open draft where it was left."""
    case = db.get_or_404(Case, case_id)
    check = services.start_or_continue(case, current_user)
    return redirect(url_for("checks.step", check_id=check.id, step=check.current_step))


@bp.app_template_global()
def self_check_refusal(case: Case) -> str | None:
    """Why no self-check link can be emailed to the case's business (shown beside the button), or None."""
    return self_check.why_not(case)


@bp.post("/cases/<int:case_id>/self-check")
@access(*CASE_WORKERS)
def send_self_check(case_id: int):
    """Email the business a signed link to fill in the check itself (only with its consent to emails)."""
    case = db.get_or_404(Case, case_id)
    try:
        with transactions.refusable():
            self_check.send_link(case, current_user)
    except self_check.NotSent as refused:
        flash(refused.message, "error")
    else:
        flash(_("The self-check link will be emailed to %(email)s.", email=case.business.email), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="checks-panel-heading"))


@bp.get("/checks/<int:check_id>")
@access(*CASE_WORKERS)
def take(check_id: int):
    """Resume a check at the step where it was left (its result once it is completed)."""
    check = db.get_or_404(Check, check_id)
    if check.status == "completed":
        return redirect(url_for("checks.result", check_id=check.id))
    return redirect(url_for("checks.step", check_id=check.id, step=check.current_step))


class ScoutRunner(Runner):
    """The scout takes the check for the case (signed in); completing it may move the case."""

    def __init__(self, check: Check, case: Case) -> None:
        super().__init__(check, case)
        self.case_url = url_for("cases.show", case_id=case.id)

    def step_url(self, step: int) -> str:
        return url_for("checks.step", check_id=self.check.id, step=step)

    def autosave_url(self, step: int) -> str:
        return url_for("checks.autosave", check_id=self.check.id, step=step)

    def review_form(self) -> ReviewForm:
        form = ReviewForm()
        form.offer_move(self.case, current_user, "completed_check")
        return form

    def submit(self, form: ReviewForm):
        before = self.case.state
        problem = services.complete(self.check, self.case, current_user, form.wants_move)
        flash(_("The digitalisation check is completed."), "success")
        announce_move(self.case, before, form.wants_move, problem)
        return redirect(url_for("checks.result", check_id=self.check.id))

    def completed_meanwhile(self, error: services.AlreadyCompleted):
        flash(error.message, "warning")
        return redirect(url_for("checks.result", check_id=self.check.id))


@bp.route("/checks/<int:check_id>/steps/<int:step>", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def step(check_id: int, step: int):
    """One dimension of the check per step (the last step reviews and completes); each POST saves."""
    check = db.get_or_404(Check, check_id)
    if check.status == "completed":
        return redirect(url_for("checks.result", check_id=check.id))
    return ScoutRunner(check, db.get_or_404(Case, check.case_id)).step(step)


@bp.post("/checks/<int:check_id>/steps/<int:step>/autosave")
@access(*CASE_WORKERS)
def autosave(check_id: int, step: int):
    """Save one step's answers in the background (a check completed meanwhile answers 409)."""
    check = db.get_or_404(Check, check_id)
    return ScoutRunner(check, db.get_or_404(Case, check.case_id)).autosave(step)


@bp.get("/checks/<int:check_id>/result")
@access(*CASE_WORKERS)
def result(check_id: int):
    """The result: chart and table per dimension, level, the top gaps with measures, workshops and partners."""
    check = db.get_or_404(Check, check_id)
    if check.status != "completed":
        flash(_("This check is not completed yet."), "info")
        return redirect(url_for("checks.take", check_id=check.id))
    case = db.get_or_404(Case, check.case_id)
    return render_template("checks/result.html", form=TakeOverForm(formdata=None), **result_page(check, case))


@bp.post("/checks/<int:check_id>/measures")
@access(*CASE_WORKERS)
def take_over(check_id: int):
    """Take the ticked suggested measures of the result into the case (status "suggested")."""
    check = db.get_or_404(Check, check_id)
    if check.status != "completed":
        return redirect(url_for("checks.take", check_id=check.id))
    case = db.get_or_404(Case, check.case_id)
    form = TakeOverForm()
    chosen = form.chosen(services.questionnaire_of(check)) if form.validate_on_submit() else []
    if not chosen:
        flash(_("Please tick at least one suggested measure."), "error")
        return redirect(url_for("checks.result", check_id=check.id, _anchor="recommendations-heading"))
    new, skipped = measures.take_over(case, current_user, chosen)
    if new:
        flash(ngettext("%(num)d measure was taken over into the case as “suggested”.",
                       "%(num)d measures were taken over into the case as “suggested”.", len(new)), "success")
    if skipped:
        flash(ngettext("%(num)d measure was already on the case.", "%(num)d measures were already on the case.",
                       skipped), "info")
    return redirect(url_for("checks.result", check_id=check.id, _anchor="recommendations-heading"))
