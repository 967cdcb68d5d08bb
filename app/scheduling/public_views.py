"""Pages a business reaches from a link in an email: answers and unsubscribing (no account needed).

Opening a link (GET) never changes anything, because mail scanners follow links; only the
confirm button (POST) does. The signed token is the authorisation; an answer link stays valid for
its lifetime, so the business can change its answer (the latest counts).
"""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from app.auth.access import PUBLIC, access
from app.extensions import csrf
from app.scheduling import links, responses

bp = Blueprint("public", __name__)


class AnswerForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=[(key, label) for key, label in responses.ANSWERS.items()],
                        validators=[InputRequired(_l("Please choose an answer."))])


def _link_error(error: links.LinkError):
    return render_template("public/link_error.html", kind=error.kind), error.status


@bp.route("/a/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def answer(token: str):
    """Show the answer of the link pre-selected with one confirm button; the POST records it (or a change)."""
    try:
        nonce, payload = links.open_token("answer", token)
        form = AnswerForm(answer=payload.get("a") if payload.get("a") in responses.ANSWERS else None)
        if request.method == "POST" and form.validate_on_submit():
            changed = responses.record_answer(nonce, form.answer.data)
            return render_template("public/answer_done.html", answer=responses.answer_label(form.answer.data),
                                   needs_help=form.answer.data == responses.NEEDS_HELP, changed=changed,
                                   valid_until=links.valid_until(nonce))
    except links.LinkError as error:
        return _link_error(error)
    status = 422 if request.method == "POST" else 200
    latest = responses.latest_answer(nonce.case_id) if nonce.case_id else None
    return render_template("public/answer.html", form=form, business=responses.business_of(nonce),
                           latest=latest), status


@bp.route("/u/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@csrf.exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without cookies or a CSRF token
def unsubscribe(token: str):
    """Explain the unsubscribe with one confirm button; the POST (also the one-click POST) unsubscribes."""
    try:
        nonce, _payload = links.open_token("unsubscribe", token)
        if request.method == "POST":
            return render_template("public/unsubscribed.html", result=responses.unsubscribe(nonce))
    except links.LinkError as error:
        return _link_error(error)
    return render_template("public/unsubscribe.html", business=responses.business_of(nonce))
