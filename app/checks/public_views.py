"""The self-check pages a business reaches from the emailed link (no account: the signed link is the key).

The same step pages as the scout's check (app.checks.runner, public=True: no staff navigation). Every
request checks the link again; opening it (GET) writes nothing, each step's POST saves, and the final
submit uses it up and redirects to the link, which from then on shows the result (a reload shows it again).
"""

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from app.auth.access import PUBLIC, access
from app.cases.models import Case
from app.checks import answers as ans
from app.checks import self_check, services
from app.checks.forms import ReviewForm
from app.checks.results import result_core
from app.checks.runner import Runner
from app.scheduling import links
from app.scheduling.models import LinkNonce

bp = Blueprint("self_check", __name__)


def _link_error(error: links.LinkError, token: str | None = None):
    """The page of a link that cannot be used; for a used one whose result is known (token given), a way to it."""
    result_url = url_for("self_check.start", token=token) if token and _has_result(token, error) else None
    return render_template("public/link_error.html", kind=error.kind, purpose=self_check.PURPOSE,
                           result_url=result_url), error.status


def _has_result(token: str, error: links.LinkError) -> bool:
    if error.kind != "used":
        return False
    try:
        self_check.submitted_through(token)
    except links.LinkError:
        return False
    return True


def _result(token: str):
    """The result of the check a used link submitted, read-only; the "submitted" page when it is not known."""
    try:
        check, case = self_check.submitted_through(token)
    except links.LinkError as error:
        return _link_error(error)
    return render_template("checks/self_check_done.html", case=case, **result_core(check))


class SelfCheckRunner(Runner):
    """The business fills in its case's open draft as the system (no user); submitting uses the link up."""

    public = True

    def __init__(self, token: str, nonce: LinkNonce, case: Case) -> None:
        super().__init__(self_check.draft_for(case), case)
        self.token = token
        self.nonce = nonce

    def step_url(self, step: int) -> str:
        return url_for("self_check.step", token=self.token, step=step)

    def autosave_url(self, step: int) -> str:
        return url_for("self_check.autosave", token=self.token, step=step)

    def save(self, answers: ans.Answers, resume_at: int | None) -> None:
        self.check = self_check.save(self.case, self.check, answers, resume_at)

    def review_form(self) -> ReviewForm:
        form = ReviewForm()
        del form.move_on  # the business does not move the case
        return form

    def submit(self, form: ReviewForm):
        self_check.submit(self.nonce, self.case, self.check)
        return redirect(url_for("self_check.start", token=self.token), 303)  # the result, also on a reload

    def completed_meanwhile(self, error: services.AlreadyCompleted):
        return _link_error(links.LinkError("used"), self.token)


def _runner(token: str) -> SelfCheckRunner:
    """The runner of a valid link's check; raises links.LinkError."""
    nonce, case = self_check.open_link(token)
    return SelfCheckRunner(token, nonce, case)


@bp.get("/s/<token>")
@access(PUBLIC)
def start(token: str):
    """The link from the email: continue where the business left off (step 1 the first time); once submitted,
    the result."""
    try:
        runner = _runner(token)
    except links.LinkError as error:
        return _result(token) if error.kind == "used" else _link_error(error)
    return redirect(runner.step_url(runner.check.current_step))


@bp.route("/s/<token>/steps/<int:step>", methods=["GET", "POST"])
@access(PUBLIC)
def step(token: str, step: int):
    """One dimension per step (the last step reviews and submits); each POST saves the answers. Once submitted,
    a step shows nothing but the way to the result, and a POST changes nothing."""
    try:
        runner = _runner(token)
    except links.LinkError as error:
        if error.kind == "used" and request.method == "GET":
            return redirect(url_for("self_check.start", token=token))
        return _link_error(error, token)
    return runner.step(step)


@bp.post("/s/<token>/steps/<int:step>/autosave")
@access(PUBLIC)
def autosave(token: str, step: int):
    """Save one step's answers in the background (the page's script sends them on every change)."""
    try:
        runner = _runner(token)
    except links.LinkError as error:
        return jsonify(saved=False, link=error.kind), error.status
    return runner.autosave(step)
