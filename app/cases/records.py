"""Shared by the pages that add a record to a case (check, attendance, referral, measure).

Each such form offers the move its record leads to in the same step; the move itself stays with
the state machine (app.cases.services.record_milestone -> app.cases.workflow).
"""

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField

from app import transactions
from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case
from app.cases.services import can_offer
from app.errors import DomainError


class RecordForm(FlaskForm):
    """A form that saves a record and may move the case on ("move_on")."""

    move_on = BooleanField(_l("Move the case on"), default=True)

    def offer_move(self, case: Case, user: User, record: str) -> None:
        """Keep the checkbox only where the user may make the forward move the record leads to."""
        if can_offer(case, user, record):
            target = workflow.MILESTONE_FOR[record].target
            self.move_on.label.text = _("Then set the case to “%(state)s”", state=workflow.state_label(target))
        else:
            del self.move_on

    @property
    def wants_move(self) -> bool:
        return bool(self.move_on and self.move_on.data)


def save_record(form: FlaskForm, case: Case, record: str, saved: str,
                operation: Callable[[], str | None]) -> Response | None:
    """Run a record operation for a form: on success say so (and whether the case moved) and go back to
    the case; on a DomainError undo it, put the message on its field (or flash it) and return None."""
    before = case.state
    try:
        with transactions.refusable():
            problem = operation()
    except DomainError as error:
        if error.field and error.field in form:
            form[error.field].errors.append(error.message)
        else:
            flash(error.message, "error")
        return None
    flash(saved, "success")
    announce_move(case, before, getattr(form, "wants_move", False), problem)
    return redirect(url_for("cases.show", case_id=case.id))


def announce_move(case: Case, before: str, wanted: bool, problem: str | None) -> None:
    """Tell the user whether the record also moved the case."""
    if case.state != before:
        flash(_("The case is now “%(state)s”.", state=workflow.state_label(case.state)), "success")
    elif wanted and problem:
        flash(_("The case was not moved: %(reason)s", reason=problem), "warning")
