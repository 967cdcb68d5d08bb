"""Access rules: every view declares who may call it; a view without a rule is refused.

Deny by default: the rule is checked centrally before each request, so a route that forgot
its rule answers 403 instead of being open.
"""

from collections.abc import Callable
from datetime import timedelta

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from app.auth import sessions
from app.auth.models import User
from app.extensions import login_manager
from app.timeutil import utcnow

PUBLIC = "public"
STAFF = ("scout", "lead", "admin")
CASE_WORKERS = ("scout", "lead")
# What a user whose password was reset may open before choosing a new one.
WHILE_PASSWORD_MUST_CHANGE = {"auth.change_password", "auth.logout", "auth.keepalive"}


def access(*roles: str) -> Callable:
    """Mark a view: access(PUBLIC), or access("scout", "lead") for signed-in roles."""

    def mark(view: Callable) -> Callable:
        view.access_roles = frozenset(roles)
        return view

    return mark


def _check_access() -> None:
    if request.endpoint in (None, "static"):
        return None
    view = request.endpoint and _app_views().get(request.endpoint)
    roles = getattr(view, "access_roles", None)
    if roles is None:
        abort(403)  # a route without an access rule is closed
    if PUBLIC in roles:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    if current_user.must_change_password and request.endpoint not in WHILE_PASSWORD_MUST_CHANGE:
        flash(_("Please choose a new password before you continue."), "info")
        return redirect(url_for("auth.change_password"))
    return None


def _app_views():
    from flask import current_app

    return current_app.view_functions


def _enforce_idle_timeout():
    if not current_user.is_authenticated:
        return None
    from flask import current_app

    now = utcnow().timestamp()
    limit = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"]).total_seconds()
    last_seen = session.get("seen", now)
    if now - last_seen > limit:
        sessions.end(session.get("_user_id"))
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    session["seen"] = now
    return None


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The cookie names a server-side session (app.auth.sessions); an ended one loads nobody."""
    return sessions.load(token)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str
    app.before_request(_enforce_idle_timeout)
    app.before_request(_check_access)
