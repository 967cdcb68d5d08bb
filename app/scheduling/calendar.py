"""Business days: weekends and the public holidays of the chamber's federal state are skipped."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from flask import current_app

from app.timeutil import BERLIN

# Follow-ups with a delay fall due at the start of the working day, before the morning digest.
DUE_TIME = time(7, 0)


@lru_cache(maxsize=16)
def _holidays(subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=subdivision, years=year)


def is_business_day(day: date, subdivision: str | None = None) -> bool:
    subdivision = subdivision or current_app.config["HOLIDAY_SUBDIVISION"]
    return day.weekday() < 5 and day not in _holidays(subdivision, day.year)


def business_days_between(start: date, end: date, subdivision: str | None = None) -> int:
    """Business days after `start` up to and including `end`: whole weeks by arithmetic, the rest day by day,
    minus the weekday holidays in between (a list row of 400 idle days costs no 400 holiday lookups)."""
    if end <= start:
        return 0
    subdivision = subdivision or current_app.config["HOLIDAY_SUBDIVISION"]
    weeks, rest = divmod((end - start).days, 7)
    tail = (start + timedelta(days=7 * weeks + n) for n in range(1, rest + 1))
    count = 5 * weeks + sum(day.weekday() < 5 for day in tail)
    holidays_ = {day for year in range(start.year, end.year + 1) for day in _holidays(subdivision, year)}
    return count - sum(start < day <= end and day.weekday() < 5 for day in holidays_)


def add_business_days(start: datetime, days: int, subdivision: str | None = None) -> datetime:
    """`days` business days after start, at DUE_TIME in Berlin; 0 means now."""
    if days <= 0:
        return start
    day = start.astimezone(BERLIN).date()
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, subdivision):
            remaining -= 1
    return datetime.combine(day, DUE_TIME, BERLIN)


def business_days_before(moment: datetime, days: int, subdivision: str | None = None) -> datetime:
    """`days` business days before the Berlin day of `moment`, at DUE_TIME in Berlin (a reminder before an event)."""
    day = moment.astimezone(BERLIN).date()
    remaining = days
    while remaining > 0:
        day -= timedelta(days=1)
        if is_business_day(day, subdivision):
            remaining -= 1
    return datetime.combine(day, DUE_TIME, BERLIN)
