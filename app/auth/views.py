"""Sign in and out, keep a session alive, and the admin's account list."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import services
from app.auth.access import PUBLIC, STAFF, access
from app.auth.forms import ROLE_LABELS, LoginForm, UserForm
from app.auth.models import User
from app.extensions import db

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this host: no scheme, no host, no protocol-relative '//' URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(user: User) -> str:
    return {"lead": url_for("reports.pipeline"), "admin": url_for("auth.users")}.get(
        user.role, url_for("cases.caseload")
    )


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    """Sign in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AuthError as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        return redirect(safe_next(form.next.data) or home_for(user))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@access(*STAFF)
def logout():
    """Sign out of this browser."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@access(*STAFF)
def logout_everywhere():
    """End every session of the signed-in user, on all devices."""
    services.end_all_sessions(current_user)
    logout_user()
    flash(_("You are signed out on all devices."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/keepalive")
@access(*STAFF)
def keepalive():
    """Answer the idle warning's "stay signed in" button; the request itself renews the session."""
    return "", 204


@bp.route("/admin/users", methods=["GET", "POST"])
@access("admin")
def users():
    """List staff accounts and create a new one."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.name.data, form.role.data, form.password.data)
        except services.AuthError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("Account for %(name)s created.", name=user.name), "success")
            return redirect(url_for("auth.users"))
    accounts = db.session.scalars(db.select(User).order_by(User.role, User.name)).all()
    return render_template("auth/users.html", form=form, accounts=accounts, role_labels=ROLE_LABELS)


@bp.post("/admin/users/<int:user_id>/active")
@access("admin")
def set_active(user_id: int):
    """Disable or enable an account; either ends the account's sessions."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash(_("You cannot disable your own account."), "error")
    else:
        services.set_active(user, active)
        flash(_("Account enabled.") if active else _("Account disabled; its sessions have ended."), "success")
    return redirect(url_for("auth.users"))
