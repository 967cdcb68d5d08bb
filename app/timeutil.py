"""Time helpers: store UTC (timezone-aware), show Europe/Berlin."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

BERLIN = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_berlin(now: datetime | None = None) -> date:
    """The calendar day in Germany: what "today" and "overdue" mean everywhere in the app."""
    return (now or utcnow()).astimezone(BERLIN).date()


def is_overdue(due: datetime, now: datetime | None = None) -> bool:
    """Due on an earlier day than today (Berlin). Due later today is "due today", not overdue."""
    return due.astimezone(BERLIN).date() < today_berlin(now)


def due_status(due: datetime, now: datetime | None = None) -> str:
    """"overdue" (an earlier day, Berlin), "today" or "later": the one meaning of overdue the pages show."""
    day, today = due.astimezone(BERLIN).date(), today_berlin(now)
    return "overdue" if day < today else "today" if day == today else "later"


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
