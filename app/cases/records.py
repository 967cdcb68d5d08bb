"""Shared by the pages that add a record to a case (check, attendance, referral, measure).

Each such form offers the matching move in the same step; the move itself stays with the
state machine (app.cases.services.record_milestone -> app.cases.workflow).
"""

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case
from app.cases.services import can_offer


def int_or_none(value) -> int | None:
    """Coerce a select's value; the empty placeholder ("please choose") becomes None."""
    return None if value in (None, "", "None") else int(value)


class RecordForm(FlaskForm):
    """A form that saves a record and may move the case on ("move_on")."""

    move_on = BooleanField(_l("Move the case on"), default=True)

    def offer_move(self, case: Case, user: User, target: str) -> None:
        """Keep the checkbox only where the user may make the forward move to target."""
        if can_offer(case, user, target):
            self.move_on.label.text = _("Then set the case to “%(state)s”", state=workflow.state_label(target))
        else:
            del self.move_on

    @property
    def wants_move(self) -> bool:
        return bool(self.move_on and self.move_on.data)


def announce(case: Case, before: str, target: str, wanted: bool, problem: str | None) -> None:
    """Tell the user whether the record also moved the case."""
    if case.state == target and before != target:
        flash(_("The case is now “%(state)s”.", state=workflow.state_label(target)), "success")
    elif wanted and problem:
        flash(_("The case was not moved: %(reason)s", reason=problem), "warning")
