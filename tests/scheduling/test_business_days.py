"""business_days_between counts by weeks and holidays; it must agree with counting day by day."""

import random
from datetime import date, timedelta

from app.scheduling.calendar import business_days_between, is_business_day


def _day_by_day(start: date, end: date) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_business_day(day)
    return count


def test_counting_by_weeks_equals_counting_day_by_day(app):
    rng = random.Random(7)
    for _ in range(500):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 1100))
        end = start + timedelta(days=rng.randint(-3, 400))
        assert business_days_between(start, end) == _day_by_day(start, end), (start, end)


def test_easter_and_a_weekend_are_skipped(app):
    # Thursday before Easter 2026 to the Tuesday after: Good Friday, the weekend and Easter Monday are off.
    assert business_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
