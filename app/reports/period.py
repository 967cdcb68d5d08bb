"""A reporting period: calendar days from-to (inclusive, Europe/Berlin), read strictly from the query string,
with the presets a funder asks for (a calendar year, a quarter, a programme year).

Timestamps are stored in UTC, so a period becomes the half-open UTC interval [from 00:00, to+1 00:00) in Berlin:
a check completed at 23:30 on the last day (Berlin) is in, one at 00:10 on the next day is not.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.timeutil import BERLIN, today_berlin

PROGRAMME_YEARS = 3
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # beyond these no period makes sense (and SQLite agrees)


class BadPeriod(DomainError):
    """The period given is no period; the message (German) says why."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 Berlin, end+1 00:00 Berlin) in UTC, for timestamp columns."""
        def midnight(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)

        return midnight(self.start), midnight(self.end + timedelta(days=1))

    def as_args(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def parse_date(value: str | None) -> date | None:
    """YYYY-MM-DD in ASCII digits and a real calendar day within 2000..2100, else None."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def year(of: int) -> Period:
    return Period(date(of, 1, 1), date(of, 12, 31))


def quarter(of: int, number: int) -> Period:
    start = date(of, 3 * number - 2, 1)
    following = date(of + 1, 1, 1) if number == 4 else date(of, 3 * number + 1, 1)
    return Period(start, following - timedelta(days=1))


def from_args(args, default: Period | None = None) -> Period:
    """The period of ?from=&to= (both needed together); the current calendar year when neither is given.

    Raises BadPeriod with a German message for a malformed date or an end before the start."""
    raw_from, raw_to = args.get("from") or None, args.get("to") or None
    if raw_from is None and raw_to is None:
        return default or year(today_berlin().year)
    start, end = parse_date(raw_from), parse_date(raw_to)
    if start is None or end is None:
        raise BadPeriod(_l("Please enter the period as two dates (DD.MM.YYYY) between 2000 and 2100."))
    if end < start:
        raise BadPeriod(_l("The end of the period lies before its start."))
    return Period(start, end)


def programme_start() -> date:
    """The first day of the programme (config PROGRAMME_START, YYYY-MM-DD)."""
    configured = current_app.config.get("PROGRAMME_START") or "2026-01-01"
    parsed = configured if isinstance(configured, date) else parse_date(str(configured))
    if parsed is None:
        raise RuntimeError(f"PROGRAMME_START is no date (YYYY-MM-DD): {configured!r}")
    return parsed


def programme_year(number: int, start: date | None = None) -> Period:
    """Programme year 1..3: twelve months from the programme's start (not necessarily calendar years)."""
    start = start or programme_start()
    first = _add_years(start, number - 1)
    return Period(first, _add_years(start, number) - timedelta(days=1))


def whole_programme(start: date | None = None) -> Period:
    """All three programme years."""
    start = start or programme_start()
    return Period(start, programme_year(PROGRAMME_YEARS, start).end)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def presets(today: date | None = None) -> list[tuple[str, Period]]:
    """Links above the report: the programme years, this and last calendar year, this year's quarters so far."""
    today = today or today_berlin()
    found = [(str(_l("Programme year %(n)d", n=n)), programme_year(n)) for n in range(1, PROGRAMME_YEARS + 1)]
    found.append((str(_l("Whole programme")), whole_programme()))
    found += [(str(today.year - 1), year(today.year - 1)), (str(today.year), year(today.year))]
    found += [(f"Q{n} {today.year}", quarter(today.year, n)) for n in range(1, (today.month - 1) // 3 + 2)]
    return found
