"""The public request page (/anfrage), its opt-in confirmation and the privacy notice: no login, German.

Opening the confirmation link (GET) changes nothing, because mail scanners follow links; the button (POST)
confirms. The signed single-use token is the authorisation.
"""

from flask import Blueprint, current_app, redirect, render_template, url_for

from app import transactions
from app.auth.access import PUBLIC, access
from app.auth.throttle import client_address
from app.errors import DomainError
from app.intake import links, services, spam
from app.intake.forms import ConfirmForm, RequestForm
from app.scheduling.links import LinkError

bp = Blueprint("intake", __name__)


def _form_page(form: RequestForm, status: int = 200, problem: str | None = None):
    form.shown_at.data = spam.stamp()  # every showing starts the fill time again
    return render_template("intake/request.html", form=form, problem=problem,
                           consent_text=services.consent_text(), valid_days=links.max_age().days), status


@bp.route("/anfrage", methods=["GET", "POST"])
@access(PUBLIC)
def request_check():
    """The form; a valid request is stored and the opt-in mail queued (a bot's is dropped without a word)."""
    form = RequestForm()
    if not form.validate_on_submit():
        return _form_page(form, 422 if form.errors else 200)
    if spam.is_bot(form.website.data):
        return redirect(url_for("intake.sent"))  # looks like success, so the bot learns nothing
    if problem := spam.fill_time_problem(form.shown_at.data):
        return _form_page(form, 422, problem)
    municipality = services.municipality_for(form.postcode.data)
    if municipality is None:
        return render_template("intake/outside.html", postcode=form.postcode.data, districts=services.districts())
    if not spam.within_limits(client_address(), form.email.data):
        return render_template("intake/too_many.html"), 429
    services.submit(form.values(), municipality)
    return redirect(url_for("intake.sent"))


@bp.get("/anfrage/gesendet")
@access(PUBLIC)
def sent():
    """Tell the business to confirm the request from the mail."""
    return render_template("intake/sent.html", valid_days=links.max_age().days)


@bp.route("/anfrage/bestaetigen/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def confirm(token: str):
    """Show the request with one confirm button; the POST opens the case (or lands on the open one)."""
    try:
        row = links.open_token(token)
        form = ConfirmForm()
        if form.validate_on_submit():
            with transactions.refusable():
                services.confirm(row)
            return render_template("intake/confirmed.html")
    except LinkError as error:
        return render_template("intake/link_error.html", kind=error.kind), error.status
    except DomainError as error:
        return render_template("intake/confirm.html", form=form, request=row, problem=error.message), 422
    return render_template("intake/confirm.html", form=form, request=row, problem=None)


@bp.get("/datenschutz")
@access(PUBLIC)
def privacy():
    """The chamber's privacy notice for the processing of a request and the programme."""
    return render_template("intake/privacy.html", consent_text=services.consent_text(),
                           consent_version=current_app.config["CONSENT_TEXT_VERSION"], valid_days=links.max_age().days,
                           chamber=current_app.config["CHAMBER_NAME"],
                           address=current_app.config["CHAMBER_SIGNATURE"])
