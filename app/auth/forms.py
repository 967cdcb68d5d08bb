"""Forms for signing in, changing one's password and managing staff accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.auth.models import ROLES

ROLE_LABELS = {"scout": _l("Process scout"), "lead": _l("Team lead"), "admin": _l("Administrator")}


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Please enter your email address.")),
        Length(max=254, message=_l("Please enter a valid email address.")),  # longer ones name no account
    ])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])
    next = HiddenField()


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class UserEditForm(FlaskForm):
    """An account's name, email address and role (the administrator's edit page)."""

    name = StringField(_l("Name"), filters=[_stripped], validators=[
        DataRequired(_l("Please enter a name.")),
        Length(max=120, message=_l("At most %(max)d characters, please.")),
    ])
    email = EmailField(
        _l("Email address"), filters=[_stripped],
        validators=[DataRequired(_l("Please enter an email address.")),
                    Length(max=254, message=_l("Please enter a valid email address.")),
                    Email(_l("Please enter a valid email address."))],
    )
    role = SelectField(_l("Role"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])


class UserForm(UserEditForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter a password."))])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Please enter your current password."))])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Please enter a new password."))])
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(_l("Please repeat the new password.")),
                    EqualTo("new", _l("The two new passwords differ."))],
    )
