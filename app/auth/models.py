"""Staff accounts with a role and a hashed password, their server-side sessions, and the sign-in throttle."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, and_, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow
from app.vocabulary import one_of


class Role(StrEnum):
    SCOUT = "scout"
    LEAD = "lead"
    ADMIN = "admin"


ROLES = tuple(Role)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an administrator's reset: the next sign-in leads to the password page and nowhere else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set while a queued offboarding hands the account's cases over (app.reports.offboarding sets it with the job,
    # its worker clears it when the job is done or failed): still active, but given no new work.
    leaving: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # The token of the sign-in this object stands for (app.auth.sessions sets it); not a column.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the token of this sign-in's row in user_sessions.

        The login page (sessions.start) and the session loader set it; there is no id without a session.
        """
        if self.session_token is None:
            raise RuntimeError("this user object belongs to no session (sign in through app.auth.sessions)")
        return self.session_token

    # UserMixin compares get_id(), which names a session here: compare the accounts instead.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = object.__hash__

    @hybrid_property
    def takes_work(self) -> bool:
        """May be given new cases, requests and reminders: active and not being handed over."""
        return self.active and not self.leaving

    @takes_work.inplace.expression
    @classmethod
    def _takes_work_expression(cls):
        return and_(cls.active.is_(True), cls.leaving.is_(False))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """One signed-in browser. The cookie carries a random token; this row holds its SHA-256.

    Deleting the row (sign-out, "sign out everywhere", disabling, a password change) ends the session on the
    server, so a copy of the cookie stops working too.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(db.Model):
    """Sign-in attempts per key ("email:<address>", "ip:<client address>") until `reset_at`.

    app.auth.throttle numbers every attempt with one atomic upsert before any password is checked.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int]
    reset_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
