"""Taking a check step by step, one way for both: the scout's check (app.checks.views) and the self-check
a business fills in through a signed link (app.checks.public_views).

A step page shows one dimension; its POST saves the answers and goes where the button leads (the next
or the previous step, a step from the list, the review, or back to the case where there is one). The
review lists the open questions and submits; the page's script saves a step in the background (JSON).
A blueprint loads the check and its case (checking access its own way) and subclasses Runner with what
differs: the URLs, how a step is saved, the review form, what submitting does and the answer when the
check was completed meanwhile. Every operation runs inside transactions.refusable(): a refusal leaves
nothing behind for the request to commit.
"""

from flask import flash, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app import transactions
from app.cases.models import Case
from app.checks import answers as ans
from app.checks import services
from app.checks.forms import ReviewForm, initial_data, step_form_class
from app.checks.models import Check
from app.errors import DomainError
from app.inputs import parse_int


def destination(go: str | None, step: int, review: int) -> int | None:
    """Where a step's button leads: a step number, or None for the case page."""
    if go == "case":
        return None
    if go == "back":
        return max(1, step - 1)
    if go and go.startswith("step-") and (chosen := parse_int(go[5:], minimum=0)) is not None:
        return min(max(1, chosen), review)
    return min(step + 1, review)


class Runner:
    """The step pages, the review and the background save of one check; subclasses say what differs."""

    public = False  # the business's pages: the public layout, no staff navigation
    case_url: str | None = None  # where "back to the case" leads; None: there is no way back, the step stays

    def __init__(self, check: Check, case: Case) -> None:
        self.check = check
        self.case = case
        self.questionnaire = services.questionnaire_of(check)
        self.review = services.review_step(self.questionnaire)

    # --- what differs ---

    def step_url(self, step: int) -> str:
        raise NotImplementedError

    def autosave_url(self, step: int) -> str:
        raise NotImplementedError

    def save(self, answers: ans.Answers, resume_at: int | None) -> None:
        """Save a step's answers (resume_at None: the background save leaves the resume point)."""
        services.save_step(self.check, answers, resume_at)

    def review_form(self) -> ReviewForm:
        return ReviewForm()

    def submit(self, form: ReviewForm) -> ResponseReturnValue:
        """Complete the check (raising DomainError when it cannot be) and answer the request."""
        raise NotImplementedError

    def completed_meanwhile(self, error: services.AlreadyCompleted) -> ResponseReturnValue:
        """The answer to a page saving into or submitting a check that was completed meanwhile."""
        raise NotImplementedError

    # --- the same for both ---

    def _context(self, step: int) -> dict:
        return {
            "check": self.check, "case": self.case, "questionnaire": self.questionnaire, "step": step,
            "review": self.review, "public": self.public, "step_url": self.step_url,
            "autosave_url": self.autosave_url, "case_url": self.case_url,
            "answered": services.answered_per_dimension(self.questionnaire, self.check.answers),
        }

    def _go(self, target: int | None) -> ResponseReturnValue:
        return redirect(self.case_url if target is None else self.step_url(target))

    def _target(self, step: int) -> int | None:
        """The step the pressed button leads to; None for the case page (the step itself where there is none)."""
        target = destination(request.form.get("go"), step, self.review)
        return step if target is None and self.case_url is None else target

    def step(self, step: int) -> ResponseReturnValue:
        """GET shows a step (the last one is the review); POST saves it and goes where its button leads."""
        if not 1 <= step <= self.review:
            return redirect(self.step_url(self.check.current_step))
        if step == self.review:
            return self._review()
        form_class = step_form_class(self.questionnaire, step)
        form = form_class() if request.method == "POST" else form_class(data=initial_data(self.check.answers))
        if not form.validate_on_submit():
            status = 422 if form.errors else 200
            return render_template("checks/step.html", form=form, **self._context(step)), status
        target = self._target(step)
        try:
            with transactions.refusable():
                self.save(form.answers(), step if target is None else target)
        except services.AlreadyCompleted as completed:
            return self.completed_meanwhile(completed)
        if target is None:
            flash(_("Your answers are saved. You can continue the check later from the case."), "success")
        return self._go(target)

    def _review(self) -> ResponseReturnValue:
        form = self.review_form()
        status = 200
        if form.validate_on_submit():
            if request.form.get("go") != "complete":
                return self._go(self._target(self.review))
            try:
                with transactions.refusable():
                    return self.submit(form)
            except services.AlreadyCompleted as completed:
                return self.completed_meanwhile(completed)
            except DomainError as refused:
                flash(refused.message, "error")
                status = 422 if isinstance(refused, services.IncompleteCheck) else 409
        missing = services.open_items_by_step(self.questionnaire, self.check.answers)
        return render_template("checks/review.html", form=form, missing=missing, **self._context(self.review)), status

    def autosave(self, step: int) -> ResponseReturnValue:
        """Save one step's answers in the background (the page's script sends them on every change)."""
        if not 1 <= step < self.review:
            return jsonify(saved=False), 404
        form = step_form_class(self.questionnaire, step)()
        if not form.validate_on_submit():
            return jsonify(saved=False, errors=form.errors), 422
        try:
            with transactions.refusable():
                self.save(form.answers(), resume_at=None)
        except services.AlreadyCompleted:
            return jsonify(saved=False, completed=True), 409
        return jsonify(saved=True, answered=services.answered_per_dimension(self.questionnaire, self.check.answers))
