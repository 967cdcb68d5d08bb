"""The funder's report: every figure on a hand-built programme (tests/reports/funder_data.py), period boundaries,
size classes, a business with several milestones counted once, the change T0→T1; bad periods."""

import pytest

from app.checks import questionnaire as qn
from app.reports.funder import funder_report
from app.reports.milestones import size_class as size_class_of
from app.reports.period import Period, from_args, parse_date, quarter, year
from tests.reports.funder_data import Q1, build


@pytest.fixture
def data(app, users):
    return build(users)


@pytest.mark.parametrize(("employees", "expected"), [
    (0, "micro"), (9, "micro"), (10, "small"), (49, "small"), (50, "medium"), (249, "medium"), (250, "large"),
    (None, "unknown"),
])
def test_eu_size_classes_at_their_edges(employees, expected):
    assert size_class_of(employees) == expected


@pytest.mark.postgres
def test_every_figure_of_the_report_on_a_hand_built_programme(data):
    report = funder_report(Q1)
    # E9 (two checks, a workshop) counts once; Late has milestones only outside Q1; Early only a measure inside.
    assert report.supported == 8
    assert report.by_size == {"micro": 2, "small": 2, "medium": 2, "large": 1, "unknown": 1}
    assert report.by_annex == {"A": 6, "B1": 1, "B2": 1}
    assert {k: v for k, v in report.by_group.items() if v} == {
        "Ausbaugewerbe": 6, "Kraftfahrzeuggewerbe": 1, "Handwerke für den privaten Bedarf": 1}
    assert {k: v for k, v in report.by_municipality.items() if v} == {"Gelsenkirchen": 5, "Bottrop": 3}
    assert sum(report.by_group.values()) == sum(report.by_municipality.values()) == 8
    assert (report.first_checks, report.rechecks) == (6, 1)  # 01.01. 00:05 in, 31.12. 23:50 and 01.04. 00:10 out
    assert report.workshops_held == 1 and report.participations == 2
    assert report.referrals["university"] == (1, 1) and report.referral_count == 1
    assert report.measure_count == 1  # 31.03. in, 01.04. out, a planned one nowhere


@pytest.mark.postgres
def test_the_change_from_t0_to_t1_per_dimension(data):
    report = funder_report(Q1)
    lines = {line.key: line for line in report.changes}
    keys = [d.key for d in qn.load().dimensions]
    assert lines["strategy"].mean_change == 10.0 and lines["strategy"].cases == 1
    assert all(lines[key].mean_change == 20.0 for key in keys if key != "strategy")
    assert (lines["overall"].mean_t0, lines["overall"].mean_t1, lines["overall"].mean_change) == (40.0, 58.0, 18.0)
    assert all(line.cases == 1 for line in report.dma_changes if line.mean_change is not None)


def test_a_period_that_ends_before_the_recheck_has_no_change(data):
    report = funder_report(Period(Q1.start, Q1.end.replace(day=30)))
    assert report.rechecks == 0
    assert all(line.cases == 0 and line.mean_change is None for line in report.changes)


def test_the_period_boundaries_are_whole_days_in_berlin(data):
    assert funder_report(Period(Q1.start, Q1.start)).first_checks == 1  # 01.01. 00:05 Berlin is 31.12. in UTC
    assert funder_report(Period(Q1.end, Q1.end)).rechecks == 1  # 31.03. 23:30 Berlin is 21:30 UTC


def test_periods_from_the_query_string():
    assert from_args({"from": "2026-01-01", "to": "2026-03-31"}) == quarter(2026, 1)
    assert quarter(2026, 4) == Period(parse_date("2026-10-01"), parse_date("2026-12-31"))
    assert year(2024).days == 366
    for bad in ({"from": "2026-02-30", "to": "2026-03-01"}, {"from": "2026-01-01"}, {"from": "²", "to": "x"},
                {"from": "1999-12-31", "to": "2026-01-01"}, {"from": "2026-03-01", "to": "2026-02-01"}):
        with pytest.raises(Exception) as raised:
            from_args(bad)
        assert raised.type.__name__ == "BadPeriod"


def test_a_bad_period_on_the_page_is_a_german_message(client, login):
    login("lead")
    response = client.get("/report?from=2026-13-01&to=2026-12-31")
    assert response.status_code == 400
    assert "Bitte geben Sie den Zeitraum als zwei Daten" in response.get_data(as_text=True)
    response = client.get("/report?from=2026-12-31&to=2026-01-01")
    assert response.status_code == 400 and "vor seinem Anfang" in response.get_data(as_text=True)
    assert client.get("/report.xlsx?from=x&to=y").status_code == 302
