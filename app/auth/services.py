"""Signing in (throttled in the database before any password is checked), passwords and managing accounts."""

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.auth import audit, sessions, throttle
from app.auth.models import ROLES, Role, User
from app.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from app.errors import DomainError
from app.extensions import db
from app.timeutil import utcnow


class AuthError(DomainError):
    """A German message, and the form field it belongs to when there is one."""


class Throttled(AuthError):
    """Too many attempts: answered with 429 and a Retry-After until `retry_at`."""

    def __init__(self, message, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - utcnow()).total_seconds()) + 1)


# Temporary passwords: letters and digits nobody mixes up when reading them out (no 0/o, 1/l/i).
READABLE = "abcdefghjkmnpqrstuvwxyz23456789"

# One answer for an unknown address, a disabled account and a wrong password: it tells nobody which it was.
WRONG_CREDENTIALS = _l("Email address or password is wrong.")


def active_scouts() -> list[User]:
    """The active process scouts by name (also those being handed over: they still own cases)."""
    return list(db.session.scalars(select(User).where(User.role == Role.SCOUT, User.active.is_(True))
                                   .order_by(User.name)))


def assignable_scouts() -> list[User]:
    """The process scouts who may take cases, by name: active and not being handed over."""
    return list(db.session.scalars(select(User).where(User.role == Role.SCOUT, User.takes_work)
                                   .order_by(User.name)))


def set_leaving(user_id: int, leaving: bool) -> None:
    """Mark (or unmark) the account as being handed over: while marked it is offered no new work."""
    db.session.execute(update(User).where(User.id == user_id).values(leaving=leaving)
                       .execution_options(synchronize_session="fetch"))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _take_attempt(email: str, address: str) -> None:
    """Number this attempt under the client address and the email address, or raise Throttled.

    The same for known and unknown addresses, and before any password is checked: of N requests at once at
    most LOGIN_MAX_FAILURES per address check a password.
    """
    config = current_app.config
    by_address = throttle.reserve(throttle.address_key(address), config["LOGIN_MAX_PER_ADDRESS"],
                                  config["LOGIN_ADDRESS_WINDOW_MINUTES"])
    if not by_address.allowed:
        raise Throttled(_l("Too many sign-in attempts from your network address. Please try again at %(time)s.",
                           time=format_time(by_address.reset_at, "HH:mm")), by_address.reset_at)
    by_account = throttle.reserve(throttle.email_key(email), config["LOGIN_MAX_FAILURES"],
                                  config["LOGIN_LOCK_MINUTES"])
    if not by_account.allowed:
        raise Throttled(_l("Too many attempts. Please try again at %(time)s.",
                           time=format_time(by_account.reset_at, "HH:mm")), by_account.reset_at)


def _succeeded(user: User, address: str) -> None:
    """The right password: the account's failures are forgotten, the address gets its attempt back."""
    throttle.forget(throttle.email_key(user.email))
    throttle.refund(throttle.address_key(address))
    throttle.prune()


def authenticate(email: str, password: str, address: str) -> User:
    """Return the user for these credentials or raise AuthError (Throttled: too many attempts).

    The attempt is counted first, on a connection of its own (app.auth.throttle); only then is a password
    checked, against the dummy hash for an unknown or disabled account so that the answer takes as long.
    """
    _take_attempt(email, address)
    user = find_user(email)
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        raise AuthError(WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise AuthError(WRONG_CREDENTIALS)
    _succeeded(user, address)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, address: str) -> None:
    """Set the user's own new password; the current one is checked (and throttled) as at sign-in.

    The new password is judged first, so a weak choice does not use up sign-in attempts. The caller ends the
    user's other sessions and rotates the current one (views.change_password).
    """
    if new == current:
        raise AuthError(_l("The new password must differ from the current one."), "new")
    if problem := password_problem(new, user.email, user.name):
        raise AuthError(problem, "new")
    _take_attempt(user.email, address)
    if not verify_password(user.password_hash, current):
        raise AuthError(_l("The current password is wrong."), "current")
    _succeeded(user, address)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.flush()


def reset_password(user: User, actor: User | None = None) -> str:
    """An administrator's reset: a random temporary password, shown once, changed at the next sign-in.

    Every session of the user ends, and the account's sign-in lock is lifted.
    """
    temporary = "-".join("".join(secrets.choice(READABLE) for _ in range(4)) for _ in range(4))
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    sessions.end_all(user)
    throttle.forget(throttle.email_key(user.email))
    audit.record(actor, "user.password_reset", user.email)
    db.session.flush()
    return temporary


def create_user(email: str, name: str, role: str, password: str, must_change_password: bool = False,
                actor: User | None = None) -> User:
    """Create a staff account or raise AuthError (duplicate, unknown role, weak password)."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AuthError(_l("Unknown role “%(role)s”. Choose scout, lead or admin.", role=role), "role")
    if not name.strip():
        raise AuthError(_l("Please enter a name."), "name")
    if find_user(email):
        raise AuthError(_l("An account with this email address exists already."), "email")
    if problem := password_problem(password, email, name):
        raise AuthError(problem, "password")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password),
                must_change_password=must_change_password)
    db.session.add(user)
    if actor is not None:
        audit.record(actor, "user.created", email, role=role)
    db.session.flush()
    return user


def _keep_an_admin(user: User) -> None:
    """Refuse to take the last active administrator away (its role or its account).

    The active administrators' rows are locked first (on SQLite the whole database), so two administrators
    demoting or disabling each other at once cannot both succeed: the second waits and then counts without the
    first.
    """
    if db.engine.dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE: a write first takes the database's write lock, so the count below is current.
        db.session.execute(update(User).where(User.id == user.id).values(active=User.active))
    admins = db.session.scalars(select(User.id).where(User.role == "admin", User.active)
                                .order_by(User.id).with_for_update()).all()
    if not set(admins) - {user.id}:
        raise AuthError(_l("This is the last active administrator account; it keeps its role."), "role")


def update_user(user: User, *, name: str, email: str, role: str, actor: User) -> dict:
    """An administrator changes an account's name, email address and role; returns what changed.

    Refused (AuthError, nothing changed): an empty name, an address another account has, an unknown role, and
    taking the administrator role from oneself or from the last active administrator.
    """
    name, email = name.strip(), email.strip().lower()
    if not name:
        raise AuthError(_l("Please enter a name."), "name")
    if role not in ROLES:
        raise AuthError(_l("Unknown role “%(role)s”. Choose scout, lead or admin.", role=role), "role")
    if (other := find_user(email)) is not None and other.id != user.id:
        raise AuthError(_l("An account with this email address exists already."), "email")
    if user.role == "admin" and role != "admin":
        if user.id == actor.id:
            raise AuthError(_l("You cannot take the administrator role from yourself."), "role")
        _keep_an_admin(user)
    changes = {field: [old, new] for field, old, new in
               (("name", user.name, name), ("email", user.email, email), ("role", user.role, role)) if old != new}
    user.name, user.email, user.role = name, email, role
    if changes:
        audit.record(actor, "user.changed", email, **changes)
    db.session.flush()
    return changes


def end_all_sessions(user: User) -> None:
    """Log the user out everywhere: every session row of the user is deleted."""
    sessions.end_all(user)
    db.session.flush()


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Disable or enable an account (never the last active administrator); either ends the account's sessions."""
    if not active and user.role == "admin" and user.active:
        _keep_an_admin(user)
    user.active = active
    audit.record(actor, "user.enabled" if active else "user.disabled", user.email)
    sessions.end_all(user)
    db.session.flush()
