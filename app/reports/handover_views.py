"""Handing many cases over at once: all of an account's cases before it is disabled (the admin's offboarding),
and all cases matching the pipeline's filter. Both name the count before anything changes."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth import services as auth_services
from app.auth.access import access
from app.auth.models import User
from app.cases import readmodel
from app.cases.workflow import STATES
from app.extensions import db
from app.inputs import int_arg
from app.reports import offboarding, services
from app.reports.review_forms import HandoverForm

bp = Blueprint("handover", __name__)


def _scouts_for(form: HandoverForm, leaving: User | None = None) -> None:
    form.new_owner.choices = [("", "–"), *((user.id, user.name) for user in auth_services.active_scouts()
                                           if user != leaving)]


def _offboarding_page(user: User, form: HandoverForm, status: int = 200, problem: str | None = None):
    return render_template("reports/handover.html", account=user, form=form, problem=problem,
                           owned=offboarding.owned_cases(user), open_cases=offboarding.open_cases(user),
                           number=format_decimal), status


@bp.route("/admin/users/<int:user_id>/handover", methods=["GET", "POST"])
@access("admin")
def offboard(user_id: int):
    """Before an account that owns cases is disabled: name its cases and hand them all to an active scout."""
    user = db.get_or_404(User, user_id)
    form = HandoverForm(formdata=request.form if request.method == "POST" else None)
    _scouts_for(form, leaving=user)
    if request.method == "GET":
        return _offboarding_page(user, form)
    if not form.validate_on_submit():
        return _offboarding_page(user, form, 422)
    try:
        with transactions.refusable():
            moved = offboarding.hand_over_and_disable(user, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        return _offboarding_page(user, form, 409, refused.message)
    name = db.session.get(User, form.new_owner.data).name
    flash(ngettext("%(num)d case of %(old)s was handed over to %(name)s; the account is disabled.",
                   "%(num)d cases of %(old)s were handed over to %(name)s; the account is disabled.",
                   moved, old=user.name, name=name), "success")
    return redirect(url_for("auth.users"))


def _filters() -> services.CaseFilter:
    """The pipeline's filter from the query string (unknown values filter nothing, as on the pipeline)."""
    state = request.args.get("state")
    return services.CaseFilter(owner_id=int_arg("owner"), state=state if state in STATES else None,
                               municipality_id=int_arg("municipality"))


@bp.post("/pipeline/reassign-matching")
@access("lead")
def matching():
    """All cases matching the pipeline's filter, not only the page: first the count is named, then confirmed."""
    filters = _filters()
    form = HandoverForm()
    _scouts_for(form)
    count = readmodel.total(owner_id=filters.owner_id, state=filters.state, municipality_id=filters.municipality_id)
    back = url_for("reports.pipeline", _anchor="cases", **filters.as_args())
    if not form.validate_on_submit():
        flash(form.new_owner.errors[0] if form.new_owner.errors else _("Please try again."), "error")
        return redirect(back)
    name = db.session.get(User, form.new_owner.data).name
    if not form.confirmed.data:
        return render_template("reports/reassign_matching.html", form=form, filters=filters, count=count,
                               name=name, number=format_decimal, back=back)
    try:
        with transactions.refusable():
            moved = offboarding.reassign_matching(filters, form.new_owner.data, current_user)
    except services.ReassignRefused as refused:
        flash(refused.message, "error")
        return redirect(back)
    flash(ngettext("%(num)d case was handed over to %(name)s.", "%(num)d cases were handed over to %(name)s.",
                   moved, name=name), "success")
    return redirect(back)
