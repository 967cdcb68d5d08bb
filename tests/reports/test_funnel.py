"""The funnel and time in stage: figures on hand-built timelines (corrections back, reopened cases, withdrawals),
the period filter, the breakdowns, the page, and the read model equal to a rebuild after a series of operations."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.cases import registry, workflow
from app.cases import services as case_services
from app.cases.models import Business, Case
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.reports import funnel, milestones
from app.reports import services as report_services
from app.reports.funnel_models import BUCKETS
from app.transactions import unit_of_work
from tests.factories import add_attendance, add_check, add_measure, add_referral

pytestmark = pytest.mark.postgres

RECORDS = {"check_done": add_check, "workshop_attended": add_attendance, "referred": add_referral,
           "implemented": add_measure}


def noon(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 11, 0, tzinfo=UTC)


class Timeline:
    """Opens cases and moves them at chosen times (the workflow's clock is set for each move)."""

    def __init__(self, monkeypatch, users) -> None:
        self.monkeypatch, self.users = monkeypatch, users

    def open(self, name: str, when: datetime, owner: str = "scout", employees: int | None = None,
             town: str = "Gelsenkirchen") -> Case:
        municipality = db.session.scalar(select(Municipality).where(Municipality.name == town))
        trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
        with unit_of_work():
            business = Business(name=name, trade_id=trade.id, postcode="45879", municipality_id=municipality.id,
                                employees=employees)
            db.session.add(business)
            db.session.flush()
            case = Case(business_id=business.id, owner_id=self.users[owner].id, opened_at=when)
            db.session.add(case)
            workflow.open_case(case, self.users[owner])
        return case

    def move(self, case: Case, target: str, when: datetime, reason: str = "", who: str | None = None) -> None:
        if target in RECORDS and not registry.current().guards[_record(target)](case):
            RECORDS[target](case)
        actor = self.users[who] if who else db.session.get(User, case.owner_id)
        with self.monkeypatch.context() as patch, unit_of_work():
            patch.setattr(workflow, "utcnow", lambda: when)
            workflow.move(db.session.get(Case, case.id), target, actor, reason=reason)


def _record(target: str) -> str:
    return next(m.record for m in workflow.MILESTONES if m.target == target)


@pytest.fixture
def timeline(app, users, monkeypatch) -> Timeline:
    return Timeline(monkeypatch, users)


@pytest.fixture
def march(timeline):
    """Six cases opened in March 2026 (and one in April by the second scout)."""
    t = timeline
    a = t.open("A", noon(3, 2), employees=5)
    t.move(a, "check_done", noon(3, 4))
    t.move(a, "workshop_attended", noon(3, 10))
    t.move(a, "referred", noon(3, 20))
    t.move(a, "implemented", noon(4, 19))
    b = t.open("B", noon(3, 3), employees=20)
    t.move(b, "check_done", noon(3, 7))
    t.move(b, "implemented", noon(3, 17))
    c = t.open("C", noon(3, 5))  # corrected back by the lead, then the check again: it counts once, at 03-15
    t.move(c, "check_done", noon(3, 15))
    t.move(c, "contacted", noon(3, 16), "Check war unvollständig", who="lead")
    t.move(c, "check_done", noon(3, 20))
    d = t.open("D", noon(3, 6))  # withdrawn and reopened: not withdrawn now
    t.move(d, "withdrawn", noon(3, 8), "Keine Zeit")
    t.move(d, "contacted", noon(3, 10), "Doch Interesse")
    t.move(d, "check_done", noon(3, 12))
    e = t.open("E", noon(3, 9))
    t.move(e, "withdrawn", noon(3, 11), "Keine Zeit")
    f = t.open("F", noon(3, 10), employees=300)
    t.move(f, "check_done", noon(3, 11))
    t.move(f, "withdrawn", noon(3, 13), "Ruhestand")
    g = t.open("G", noon(4, 1), owner="scout2")
    t.move(g, "check_done", noon(4, 2))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def _march() -> funnel.Report:
    return funnel.report(funnel.parse_period({"period": "month", "month": "2026-03"}))


def test_milestones_count_once_at_their_first_reaching(march):
    figures = _march().figures
    assert figures.opened == 6
    assert [(s.state, s.count) for s in figures.steps] == [
        ("contacted", 6), ("check_done", 5), ("workshop_attended", 1), ("referred", 1), ("implemented", 2)]
    row = db.session.get(milestones.CaseMilestone, march["c"].id)
    assert row.check_done_at == noon(3, 15)  # the correction back did not un-reach it; the second check moved nothing


def test_conversions_between_stages(march):
    conversions = [(c.numerator, c.denominator, c.percent) for c in _march().figures.conversions]
    assert conversions == [
        (5, 6, 83.3),  # opened -> check
        (1, 5, 20.0), (1, 5, 20.0), (2, 5, 40.0),  # check -> workshop, referral, implemented
        (1, 1, 100.0), (1, 1, 100.0), (1, 1, 100.0),  # workshop -> referral, workshop -> implemented, referral -> impl.
    ]


def test_median_and_p80_days_in_each_stage(march):
    stages = {s.state: (s.cases, s.median, s.p80) for s in _march().figures.stages}
    # contacted: A 2, B 4, C 10 (to its first check), D 6 (reopened, then checked), F 1 -> 1 2 4 6 10
    assert stages["contacted"] == (5, 4.0, 6.0)
    # check: A 6 (to the workshop), B 10 (to implemented); C, D and F did not move on to a later milestone
    assert stages["check_done"] == (2, 6.0, 10.0)
    assert stages["workshop_attended"] == (1, 10.0, 10.0)
    assert stages["referred"] == (1, 30.0, 30.0)  # the implementation in April counts for the March cohort


def test_withdrawals_with_reasons_and_reopened_cases(march):
    result = _march()
    assert result.figures.withdrawn == 2 and result.figures.reopened == 1
    assert result.reasons == [("Keine Zeit", 1), ("Ruhestand", 1)]  # D's "Keine Zeit" ended with its reopening
    assert result.withdrawn_from == [("Kontakt aufgenommen", 1), ("Check durchgeführt", 1)]


def test_breakdowns_by_scout_size_and_cohort_month(march, users):
    year = funnel.parse_period({"period": "year", "year": "2026"})
    by_owner = {row.label: row.figures.opened for row in funnel.report(year, "owner").breakdown}
    assert by_owner == {users["scout"].name: 6, users["scout2"].name: 1}
    by_size = [(row.key, row.figures.opened) for row in funnel.report(year, "size").breakdown]
    assert by_size == [("micro", 1), ("small", 1), ("large", 1), ("unknown", 4)]
    by_group = funnel.report(year, "group").breakdown
    assert [(row.key, row.figures.steps[1].count) for row in by_group] == [("Ausbaugewerbe", 6)]
    cohorts = funnel.report(year).cohorts
    assert len(cohorts) == 12
    assert [(row.label, row.figures.opened) for row in cohorts[2:4]] == [("03.2026", 6), ("04.2026", 1)]


def test_a_business_edit_and_a_reassignment_move_the_cases_between_keys(march, users):
    business = db.session.get(Business, march["e"].business_id)
    values = {name: getattr(business, name) for name in case_services.BUSINESS_FIELDS}
    with unit_of_work():
        case_services.update_business(business, {**values, "employees": 12}, users["lead"])
    with unit_of_work():
        report_services.reassign_cases([march["a"].id], users["scout2"].id, users["lead"])
    result = funnel.report(funnel.parse_period({"period": "month", "month": "2026-03"}), "size")
    assert {row.key: row.figures.opened for row in result.breakdown}["small"] == 2
    owners = funnel.report(funnel.parse_period({"period": "month", "month": "2026-03"}), "owner").breakdown
    assert {row.label: row.figures.opened for row in owners} == {users["scout"].name: 5, users["scout2"].name: 1}
    assert _rebuilt_equals_incremental()


def _rebuilt_equals_incremental() -> bool:
    incremental, rows = milestones.snapshot(), milestones.milestone_rows()
    with unit_of_work():
        milestones.rebuild()
    assert milestones.milestone_rows() == rows
    assert milestones.snapshot() == incremental
    return True


def test_rebuild_equals_the_incremental_read_model(march):
    assert _rebuilt_equals_incremental()


@pytest.mark.parametrize(("args", "first", "last"), [
    ({"period": "month", "month": "2026-03"}, 202603, 202603),
    ({"period": "quarter", "year": "2026", "quarter": "2"}, 202604, 202606),
    ({"period": "year", "year": "2025"}, 202501, 202512),
    ({}, 202601, 202612),  # the current year
    ({"period": "range", "from": "2025-11", "to": "2026-02"}, 202511, 202602),
])
def test_the_period_filter(app, args, first, last):
    period = funnel.parse_period(args, today=date(2026, 7, 1))
    assert (period.first, period.last) == (first, last)
    if args.get("period") == "range":
        assert period.months == [202511, 202512, 202601, 202602]


@pytest.mark.parametrize("args", [
    {"period": "week"}, {"period": "month", "month": "2026-13"}, {"period": "month", "month": "März"},
    {"period": "quarter", "year": "2026", "quarter": "5"}, {"period": "year", "year": "²⁰²⁶"},
    {"period": "range", "from": "2026-05", "to": "2026-01"}, {"period": "range", "from": "1990-01", "to": "2026-01"},
    {"period": "range", "from": "2001-01", "to": "2026-01"},
])
def test_an_invalid_period_is_answered_in_german(app, client, login, args):
    login("lead")
    response = client.get("/funnel", query_string=args)
    assert response.status_code == 400
    assert "Bitte" in response.get_data(as_text=True) or "darf nicht" in response.get_data(as_text=True)


def test_the_page_shows_charts_with_tables_and_no_inline_style(march, client, login):
    login("lead")
    response = client.get("/funnel?period=month&month=2026-03&by=size")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg class=\"chart-svg\"") == 2 and "style=" not in page and "<script>" not in page
    assert '<th scope="row">Kleinstunternehmen (weniger als 10 Beschäftigte)</th>' in page
    assert 'class="filters funnel-filter no-print"' in page
    assert "Ruhestand" in page
    assert page.count("Tage „Kontakt aufgenommen“ (Median / 80 %)") == 2  # the breakdown's and the cohorts' columns
    assert "<td class=\"num\">4 / 6</td>" in page  # contacted: median 4, p80 6 days


def test_percentiles_from_buckets():
    histogram = [0] * len(BUCKETS)
    for days in (1, 2, 4, 6, 10):
        histogram[milestones.bucket(days)] += 1
    assert (funnel.percentile(histogram, 50), funnel.percentile(histogram, 80)) == (4.0, 6.0)
    assert funnel.percentile([0] * len(BUCKETS), 50) is None
    assert milestones.bucket(30) == 30 and BUCKETS[milestones.bucket(33)] == 31 and BUCKETS[milestones.bucket(40)] == 35
    assert BUCKETS[milestones.bucket(5000)] == 1095 and BUCKETS[milestones.bucket(365)] == 365
