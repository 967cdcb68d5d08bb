"""The lead's page of which scout takes the public requests of each municipality (lead and admin)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import transactions
from app.auth.access import access
from app.auth.services import assignable_scouts
from app.errors import DomainError
from app.intake import assignment
from app.intake.forms import SCOUT_FIELD, assignment_choices

bp = Blueprint("intake_assignments", __name__, url_prefix="/intake")


@bp.route("/assignments", methods=["GET", "POST"])
@access("lead", "admin")
def index():
    """Every municipality with a select of the active scouts; one save sets them all."""
    if request.method == "GET":
        return _page({})
    choices = assignment_choices(request.form)
    try:
        with transactions.refusable():
            changed = assignment.save(choices, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return _page(choices, 422)
    if changed:
        flash(ngettext("The assignment of %(num)d municipality is saved.",
                       "The assignments of %(num)d municipalities are saved.", changed), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("intake_assignments.index"))


def _page(posted: dict[int, int | None], status: int = 200):
    """The table as the database holds it; a refused save keeps the choices it sent."""
    rows = assignment.table()
    chosen = {row.municipality_id: row.scout.id if row.scout else None for row in rows} | posted
    return render_template("intake/assignments.html", rows=rows, chosen=chosen, field=SCOUT_FIELD,
                           scouts=assignable_scouts()), status
