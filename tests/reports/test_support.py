"""The funder report's read models stay equal to counting from scratch: supported businesses per kept period
(app.reports.support) and the changes T0→T1 per day (app.checks.change_days), through the changes a programme
sees (a business moving size class or town, a workshop moved, an attendance removed, a second re-check), after a
rebuild, and with two transactions adding milestones to one business at once."""

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from app.cases.models import Business
from app.checks import change_days
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Topic
from app.reports import support
from app.reports.funder import counted_cells, funder_report
from app.reports.period import Period, programme_year, quarter, year
from app.reports.support_models import SupportedCell
from app.workshops.models import Attendance, Workshop
from tests.reports.funder_data import _check, _referral, berlin, build


def _months(of_year: int) -> list[Period]:
    return [next(iter(p for p in support.kept_periods(date(of_year, m, 15)) if p.days < 32)) for m in range(1, 13)]


def _kept() -> list[Period]:
    found = []
    for of_year in (2025, 2026):
        found += [year(of_year), *(quarter(of_year, n) for n in range(1, 5)), *_months(of_year)]
    return found + [programme_year(n) for n in (1, 2, 3)]


def _totals(rows) -> Counter:
    totals: Counter = Counter()
    for *key, n in rows:
        totals[tuple(key)] += n
    return +totals


def assert_kept_equals_counted() -> None:
    for period in _kept():
        assert support.is_kept(period)
        assert _totals(support.cells(period)) == _totals(counted_cells(period)), period


def _cells() -> Counter:
    table = SupportedCell.__table__
    return +Counter({tuple(row[:-1]): row[-1] for row in db.session.execute(select(table))})


@pytest.fixture
def data(app, users):
    return build(users)


@pytest.mark.postgres
def test_kept_periods_equal_counting_through_a_programme_s_changes(data):
    assert_kept_equals_counted()
    cases = data.cases
    # E49 grows from small to medium and moves to Gelsenkirchen.
    business = db.session.get(Business, cases["E49"].business_id)
    business.employees = 60
    business.municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == "Gelsenkirchen"))
    db.session.commit()
    assert_kept_equals_counted()
    # The February workshop moves to May; then E9's attendance is removed.
    workshop = db.session.scalar(select(Workshop).order_by(Workshop.starts_at))
    workshop.starts_at = berlin(2026, 5, 10, 18, 0)
    db.session.commit()
    assert_kept_equals_counted()
    db.session.delete(db.session.scalar(select(Attendance).where(Attendance.case_id == cases["E9"].id)))
    db.session.commit()
    assert_kept_equals_counted()
    # A referral in a month that had none for this business, and a second re-check in June.
    _referral(cases["E10"], berlin(2026, 7, 1, 9, 0))
    _check(cases["E9"], "t1", berlin(2026, 6, 1, 10, 0))
    assert_kept_equals_counted()
    kept = _cells()
    support.rebuild()
    db.session.commit()
    assert _cells() == kept


@pytest.mark.postgres
def test_a_period_that_is_not_kept_is_counted_and_gives_the_same_figures(data):
    odd = Period(date(2026, 2, 10), date(2026, 3, 1))
    assert not support.is_kept(odd)
    report = funder_report(odd)
    assert report.supported == sum(n for *_key, n in counted_cells(odd)) == 7  # ENone: a referral
    assert funder_report(quarter(2026, 1)).supported == 8


@pytest.mark.postgres
def test_the_second_recheck_moves_the_case_s_change_to_its_day(data):
    q1, q2 = quarter(2026, 1), quarter(2026, 2)
    assert change_days.means(q1.start, q1.end)["overall"][0] == 1
    _check(data.cases["E9"], "t1", berlin(2026, 6, 1, 10, 0), overall=70.0)
    assert "overall" not in change_days.means(q1.start, q1.end)
    n, t0, t1, change = change_days.means(q2.start, q2.end)["overall"]
    assert (n, t0, t1, change) == (1, 40.0, 70.0, 30.0)
    kept = change_days.snapshot()
    change_days.rebuild(db.session.connection())
    db.session.commit()
    assert change_days.snapshot() == kept


@pytest.mark.postgres
def test_two_transactions_adding_milestones_to_one_business_count_it_once(app, data, backend):
    """Both add a referral to the same business in a month it had none; whoever settles second sees the first.
    (SQLite has one writer at a time: the second flush would wait for the first commit.)"""
    if backend == "sqlite":
        pytest.skip("two open write transactions need PostgreSQL")
    case_id = data.cases["E10"].id
    august = Period(date(2026, 8, 1), date(2026, 8, 31))
    barrier, errors = threading.Barrier(2), []

    def refer(hour: int) -> None:
        with app.app_context():
            try:
                partner = db.session.scalar(select(Partner).order_by(Partner.id))
                topic = db.session.scalar(select(Topic).order_by(Topic.id))
                db.session.add(Referral(case_id=case_id, partner_id=partner.id, topic_id=topic.id, consent=True,
                                        created_at=berlin(2026, 8, 3, hour, 0)))
                db.session.flush()
                barrier.wait(timeout=10)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refer, args=(hour,)) for hour in (9, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(n for *_key, n in support.cells(august)) == 1
    assert _totals(support.cells(august)) == _totals(counted_cells(august))
