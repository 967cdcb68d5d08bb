"""The self-check pages a business reaches from the emailed link (no account: the signed link is the key).

The same step pages as the scout's check (public=True: no staff navigation). Every request checks
the link again; opening it (GET) writes nothing, each step's POST saves, and the final submit uses it up.
"""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from app import transactions
from app.auth.access import PUBLIC, access
from app.cases.models import Case
from app.checks import self_check, services
from app.checks.forms import ReviewForm, initial_data, step_form_class
from app.checks.models import Check
from app.checks.views import destination
from app.errors import DomainError
from app.scheduling import links

bp = Blueprint("self_check", __name__)


def _link_error(error: links.LinkError):
    return render_template("public/link_error.html", kind=error.kind, purpose=self_check.PURPOSE), error.status


def _context(token: str, check: Check, case: Case, step: int) -> dict:
    questionnaire = services.questionnaire_of(check)
    return {
        "check": check, "case": case, "questionnaire": questionnaire, "step": step,
        "review": services.review_step(questionnaire), "public": True,
        "step_url": lambda n: url_for("self_check.step", token=token, step=n),
        "autosave_url": lambda n: url_for("self_check.autosave", token=token, step=n),
        "answered": services.answered_per_dimension(questionnaire, check.answers or {}),
        "case_url": None,
    }


@bp.get("/s/<token>")
@access(PUBLIC)
def start(token: str):
    """The link from the email: continue where the business left off (step 1 the first time)."""
    try:
        _nonce, case = self_check.open_link(token)
    except links.LinkError as error:
        return _link_error(error)
    return redirect(url_for("self_check.step", token=token, step=self_check.draft_for(case).current_step or 1))


@bp.route("/s/<token>/steps/<int:step>", methods=["GET", "POST"])
@access(PUBLIC)
def step(token: str, step: int):
    """One dimension per step (the last step reviews and submits); each POST saves the answers."""
    try:
        nonce, case = self_check.open_link(token)
    except links.LinkError as error:
        return _link_error(error)
    check = self_check.draft_for(case)
    context = _context(token, check, case, step)
    if not 1 <= step <= context["review"]:
        return redirect(url_for("self_check.step", token=token, step=check.current_step or 1))
    if step == context["review"]:
        return _review(nonce, check, case, context)
    form_class = step_form_class(context["questionnaire"], step)
    form = form_class() if request.method == "POST" else form_class(data=initial_data(check.answers or {}))
    if form.validate_on_submit():
        target = destination(request.form.get("go"), step, context["review"]) or step
        try:
            with transactions.refusable():
                self_check.save(case, check, form.answers(), target)
        except services.AlreadyCompleted:
            return _link_error(links.LinkError("used"))
        return redirect(url_for("self_check.step", token=token, step=target))
    status = 422 if form.errors else 200
    return render_template("checks/step.html", form=form, **context), status


def _review(nonce, check: Check, case: Case, context: dict):
    form = ReviewForm()
    del form.move_on  # the business does not move the case
    status = 200
    if form.validate_on_submit():
        go = request.form.get("go")
        if go != "complete":
            target = destination(go, context["step"], context["review"]) or context["step"]
            return redirect(context["step_url"](target))
        try:
            with transactions.refusable():
                self_check.submit(nonce, case, check)
        except services.AlreadyCompleted:
            return _link_error(links.LinkError("used"))
        except DomainError as refused:
            flash(refused.message, "error")
            status = 422 if isinstance(refused, services.IncompleteCheck) else 409
        else:
            return render_template("checks/self_check_done.html", case=case)
    missing = services.open_items_by_step(context["questionnaire"], check.answers or {})
    return render_template("checks/review.html", form=form, missing=missing, **context), status


@bp.post("/s/<token>/steps/<int:step>/autosave")
@access(PUBLIC)
def autosave(token: str, step: int):
    """Save one step's answers in the background (the page's script sends them on every change)."""
    try:
        _nonce, case = self_check.open_link(token)
    except links.LinkError as error:
        return jsonify(saved=False, link=error.kind), error.status
    check = self_check.draft_for(case)
    questionnaire = services.questionnaire_of(check)
    if not 1 <= step < services.review_step(questionnaire):
        return jsonify(saved=False), 404
    form = step_form_class(questionnaire, step)()
    if not form.validate_on_submit():
        return jsonify(saved=False, errors=form.errors), 422
    try:
        with transactions.refusable():
            check = self_check.save(case, check, form.answers(), resume_at=None)
    except services.AlreadyCompleted:
        return jsonify(saved=False, completed=True), 409
    return jsonify(saved=True, answered=services.answered_per_dimension(questionnaire, check.answers))
