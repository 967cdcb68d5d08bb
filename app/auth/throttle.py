"""Sign-in throttling in the database: every attempt takes a numbered slot before a password is checked.

`reserve()` counts the attempt with ONE atomic INSERT … ON CONFLICT DO UPDATE … RETURNING on a connection of its
own (so it stays counted when the request that refuses the sign-in rolls back) and returns the attempt's number.
Only an attempt whose number is within the limit may check a password: however many requests arrive at once,
at most `limit` Argon2 checks run per key and window, and the request that reaches the limit sets the lock in
the same statement. The counter lives in the database, so it holds across processes and web workers.

Keys: "email:<address>" for known and unknown addresses alike (the answer never tells whether an account exists)
and "ip:<client address>" (an IPv6 client by its /64 network).
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import LoginThrottle
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

TABLE = LoginThrottle.__table__


@dataclass(frozen=True)
class Slot:
    """An attempt's number under one key, and when the key's count starts again."""

    key: str
    number: int
    limit: int
    reset_at: datetime

    @property
    def allowed(self) -> bool:
        return self.number <= self.limit


def email_key(email: str) -> str:
    return f"email:{email.strip().lower()[:254]}"


def address_key(address: str) -> str:
    return f"ip:{address}"


def reserve(key: str, limit: int, minutes: int) -> Slot:
    """Count one attempt under `key` and return its number.

    The count starts at 1 when the key is new or its window ended; the attempt that reaches `limit` keeps the key
    locked for `minutes` from now; attempts past the limit are counted but do not extend the lock.
    """
    now = utcnow()
    until = literal(now + timedelta(minutes=minutes), UTCDateTime())
    ended = TABLE.c.reset_at <= now
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    statement = (
        insert(TABLE)
        .values(key=key, attempts=1, reset_at=until)
        .on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "attempts": case((ended, 1), else_=TABLE.c.attempts + 1),
                "reset_at": case((ended, until), (TABLE.c.attempts + 1 == limit, until), else_=TABLE.c.reset_at),
            },
        )
        .returning(TABLE.c.attempts, TABLE.c.reset_at)
    )
    with db.engine.begin() as connection:
        number, reset_at = connection.execute(statement).one()
    return Slot(key, number, limit, reset_at)


def forget(key: str) -> None:
    """A successful sign-in: the key's failures no longer count (in the request's transaction)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def refund(key: str) -> None:
    """Give back one attempt: a successful sign-in does not use up its client address's allowance."""
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.attempts > 0)
        .values(attempts=LoginThrottle.attempts - 1)
    )


def prune() -> None:
    """Drop the keys whose window has ended (they would start at 1 again anyway)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.reset_at <= utcnow()))


def client_address() -> str:
    """The client's address: REMOTE_ADDR, or what the LOGIN_PROXY_COUNT trusted proxies put in X-Forwarded-For."""
    address = request.remote_addr or "unknown"
    hops = current_app.config["LOGIN_PROXY_COUNT"]
    if hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))  # one client holds a whole /64
    return str(parsed)
