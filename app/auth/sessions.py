"""Server-side sign-in sessions: the cookie carries a random token, a row in user_sessions makes it valid.

Flask-Login keeps what `User.get_id()` returns in the signed cookie (`_user_id`); here that is the token of a
UserSession row, and the table keeps only the token's SHA-256. The loader accepts a cookie only while its row
exists, so deleting the row (sign-out, "sign out everywhere", disabling, a password change or reset) ends the
session on the server and every copy of the cookie with it. Signing in always starts a new row (rotation).

A row not seen for longer than the idle timeout (plus a margin, so that the page's own idle sign-out with its
message comes first) no longer loads and is deleted when someone signs in.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update

from app.auth.models import User, UserSession
from app.extensions import db
from app.timeutil import utcnow

# last_seen_at is written at most once a minute per session, not on every request.
SEEN_STEP = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _expired_before():
    idle = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
    return utcnow() - idle - 2 * SEEN_STEP


def start(user: User) -> str:
    """Open a new session for `user` in the request's transaction; its token goes into the cookie."""
    db.session.execute(delete(UserSession).where(UserSession.last_seen_at < _expired_before()))
    token = _new_token()
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now, last_seen_at=now))
    db.session.flush()
    user.session_token = token
    return token


def open_now(user: User) -> str:
    """Open a new session committed at once on a connection of its own (tests and benchmarks sign in so)."""
    token = _new_token()
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(insert(UserSession).values(user_id=user.id, token_hash=_digest(token), created_at=now,
                                                      last_seen_at=now))
    return token


def load(token: str) -> User | None:
    """The active user whose live session this token names, or None."""
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is None or row.last_seen_at < _expired_before() or not row.user.active:
        return None
    now = utcnow()
    if now - row.last_seen_at > SEEN_STEP:
        # On its own connection, before the request writes anything: a page that answers >= 400 still counts
        # as activity, and the request's transaction takes no write lock for it.
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    row.user.session_token = token
    return row.user


def end(token: str | None) -> None:
    """End one session (sign-out, idle timeout)."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_all(user: User, keep: str | None = None) -> None:
    """End every session of `user`, except the one whose token is `keep`."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        statement = statement.where(UserSession.token_hash != _digest(keep))
    db.session.execute(statement)
