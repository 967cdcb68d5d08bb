"""Signing in (with per-account throttling in the database) and managing accounts."""

from datetime import timedelta

from flask import current_app
from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from app.auth.models import ROLES, User
from app.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from app.errors import DomainError
from app.extensions import db
from app.timeutil import utcnow


class AuthError(DomainError):
    """A German message, and the form field it belongs to when there is one."""


WRONG_CREDENTIALS = _l("Email address or password is wrong.")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User:
    """Return the user for these credentials or raise AuthError with a German message.

    Failed attempts are counted in the database with one atomic UPDATE, so the throttle holds
    across processes and web workers.
    """
    user = find_user(email)
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        raise AuthError(WRONG_CREDENTIALS)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise AuthError(_l("Too many failed attempts. Please try again after %(time)s.",
                           time=format_time(user.locked_until, "HH:mm")))
    if not verify_password(user.password_hash, password):
        _count_failure(user)
        raise AuthError(WRONG_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def _count_failure(user: User) -> None:
    """Count the failure on a connection of its own: it must stay counted although the request that
    refuses the sign-in rolls its own transaction back."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    lock_until = utcnow() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    with db.engine.begin() as connection:
        connection.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                failed_logins=case((User.failed_logins + 1 >= limit, 0), else_=User.failed_logins + 1),
                locked_until=case((User.failed_logins + 1 >= limit, lock_until), else_=User.locked_until),
            )
        )


def create_user(email: str, name: str, role: str, password: str) -> User:
    """Create a staff account or raise AuthError (duplicate, unknown role, weak password)."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AuthError(_l("Unknown role “%(role)s”. Choose scout, lead or admin.", role=role), "role")
    if not name.strip():
        raise AuthError(_l("Please enter a name."), "name")
    if find_user(email):
        raise AuthError(_l("An account with this email address exists already."), "email")
    if problem := password_problem(password, email):
        raise AuthError(problem, "password")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Log the user out everywhere: sessions carry the old version and stop loading."""
    user.session_version += 1
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    user.active = active
    user.session_version += 1
    db.session.flush()
