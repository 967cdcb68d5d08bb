"""Sign in and out, keep a session alive, change one's password, and the admin's account list."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app import transactions
from app.auth import audit, offboarding, services, sessions, throttle
from app.auth.access import PUBLIC, STAFF, access
from app.auth.forms import ROLE_LABELS, LoginForm, PasswordChangeForm, UserEditForm, UserForm
from app.auth.models import User
from app.extensions import db
from app.inputs import page_arg

bp = Blueprint("auth", __name__)


@bp.app_template_filter("person")
def person(user: User) -> str:
    """A name as every list of owners shows it: a disabled account is marked."""
    return user.name if user.active else _("%(name)s (inactive)", name=user.name)


def safe_next(target: str | None) -> str | None:
    """Only a path on this host: no scheme, no host, no protocol-relative '//' URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):  # CR/LF would split the Location header
        return None
    return target


def home_for(user: User) -> str:
    return {"lead": url_for("reports.pipeline"), "admin": url_for("auth.users")}.get(
        user.role, url_for("cases.caseload")
    )


def _start_session(user: User) -> None:
    """A new server-side session and an emptied cookie: nothing of the browser's earlier session carries over."""
    session.clear()
    sessions.start(user)
    login_user(user)


def _throttled(error: services.Throttled, template: str, **context):
    flash(error.message, "error")
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    """Sign in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                user = services.authenticate(form.email.data, form.password.data, throttle.client_address())
        except services.Throttled as error:
            return _throttled(error, "auth/login.html", form=form)
        except services.AuthError as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), 401
        sessions.end(session.get("_user_id"))  # rotation: the browser's previous session ends
        _start_session(user)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(form.next.data) or home_for(user))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@access(*STAFF)
def logout():
    """Sign out of this browser: the session ends on the server, so a copy of the cookie stops working too."""
    sessions.end(session.get("_user_id"))
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@access(*STAFF)
def logout_everywhere():
    """End every session of the signed-in user, on all devices."""
    services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You are signed out on all devices."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/keepalive")
@access(*STAFF)
def keepalive():
    """Answer the idle warning's "stay signed in" button; the request itself renews the session."""
    return "", 204


@bp.route("/account/password", methods=["GET", "POST"])
@access(*STAFF)
def change_password():
    """Change one's own password; every other session of the account ends and this one is renewed."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                services.change_password(user, form.current.data, form.new.data, throttle.client_address())
        except services.Throttled as error:
            return _throttled(error, "auth/password.html", form=form, forced=user.must_change_password)
        except services.AuthError as error:
            form[error.field].errors.append(error.message)
            status = 422
        else:
            sessions.end_all(user)
            _start_session(user)
            flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
            return redirect(home_for(user))
    elif form.is_submitted():
        status = 422
    return render_template("auth/password.html", form=form, forced=user.must_change_password), status


@bp.route("/admin/users", methods=["GET", "POST"])
@access("admin")
def users():
    """List staff accounts and create a new one (who chooses their own password at the first sign-in)."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.name.data, form.role.data, form.password.data,
                                        must_change_password=True, actor=current_user)
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
    elif not active and (handover := offboarding.handover_page(user)):
        return redirect(url_for(handover, user_id=user.id))  # its cases go to someone first
    else:
        try:
            with transactions.refusable():
                services.set_active(user, active, actor=current_user)
        except services.AuthError as error:
            flash(error.message, "error")
        else:
            flash(_("Account enabled.") if active else _("Account disabled; its sessions have ended."), "success")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/password")
@access("admin")
def reset_password(user_id: int):
    """Give an account a random temporary password, shown once here; it must be changed at the next sign-in."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("Change your own password on the password page."), "info")
        return redirect(url_for("auth.change_password"))
    temporary = services.reset_password(user, actor=current_user)
    response = make_response(render_template("auth/temporary_password.html", account=user, temporary=temporary))
    response.headers["Cache-Control"] = "no-store"  # the password must not stay in a cache
    return response


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@access("admin")
def edit_user(user_id: int):
    """Change an account's name, email address and role (never the last administrator's role, nor one's own)."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                changes = services.update_user(user, name=form.name.data, email=form.email.data,
                                               role=form.role.data, actor=current_user)
        except services.AuthError as error:
            form[error.field].errors.append(error.message)
            status = 422
        else:
            flash(_("The account of %(name)s is saved.", name=user.name) if changes else _("Nothing was changed."),
                  "success")
            return redirect(url_for("auth.users"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/user_form.html", form=form, account=user), status


AUDIT_PAGE_SIZE = 50


@bp.get("/admin/audit")
@access("admin")
def audit_log():
    """The administrators' audit trail, newest first."""
    page = page_arg()
    entries = audit.latest(AUDIT_PAGE_SIZE + 1, (page - 1) * AUDIT_PAGE_SIZE)
    return render_template("auth/audit.html", entries=entries[:AUDIT_PAGE_SIZE], page=page,
                           has_next=len(entries) > AUDIT_PAGE_SIZE)
