"""The page a business reaches from the workshop links in its mails: confirm "I will take part" or "I cannot come".

Opening the link (GET) changes nothing (mail scanners follow links); the confirm button (POST) does.
"""

from flask import Blueprint, render_template, request

from app import transactions
from app.auth.access import PUBLIC, access
from app.errors import DomainError
from app.scheduling import links
from app.workshops import responses
from app.workshops.forms import ResponseForm

bp = Blueprint("workshop_public", __name__)


@bp.route("/w/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def respond(token: str):
    """Show the workshop and the chosen answer with one confirm button; the POST records it."""
    try:
        nonce, workshop, case, answer = responses.open_link(token)
        form = ResponseForm(answer=answer)
        if request.method == "POST" and form.validate_on_submit():
            try:
                with transactions.refusable():
                    registration = responses.respond(nonce, workshop, case, form.answer.data)
            except DomainError as error:
                return render_template("workshops/respond_refused.html", workshop=workshop,
                                       message=error.message), 409
            return render_template("workshops/respond_done.html", workshop=workshop, registration=registration,
                                   answer=form.answer.data)
    except links.LinkError as error:
        return render_template("workshops/link_error.html", kind=error.kind), error.status
    status = 422 if request.method == "POST" else 200
    return render_template("workshops/respond.html", form=form, workshop=workshop, business=case.business), status
