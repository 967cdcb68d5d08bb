"""The self-check pages a business reaches from the emailed link (no account: the signed link is the key).

The same step pages as the scout's check (app.checks.runner, public=True: no staff navigation). Every
request checks the link again; opening it (GET) writes nothing, each step's POST saves, and the final
submit uses it up.
"""

from flask import Blueprint, jsonify, redirect, render_template, url_for

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


def _link_error(error: links.LinkError):
    return render_template("public/link_error.html", kind=error.kind, purpose=self_check.PURPOSE), error.status


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
        return render_template("checks/self_check_done.html", case=self.case, **result_core(self.check))

    def completed_meanwhile(self, error: services.AlreadyCompleted):
        return _link_error(links.LinkError("used"))


def _runner(token: str) -> SelfCheckRunner:
    """The runner of a valid link's check; raises links.LinkError."""
    nonce, case = self_check.open_link(token)
    return SelfCheckRunner(token, nonce, case)


@bp.get("/s/<token>")
@access(PUBLIC)
def start(token: str):
    """The link from the email: continue where the business left off (step 1 the first time)."""
    try:
        runner = _runner(token)
    except links.LinkError as error:
        return _link_error(error)
    return redirect(runner.step_url(runner.check.current_step))


@bp.route("/s/<token>/steps/<int:step>", methods=["GET", "POST"])
@access(PUBLIC)
def step(token: str, step: int):
    """One dimension per step (the last step reviews and submits); each POST saves the answers."""
    try:
        runner = _runner(token)
    except links.LinkError as error:
        return _link_error(error)
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
