"""Programme targets: the form refuses anything but whole numbers from 0 (in German, nothing saved), progress is
actual/target and against the share of time elapsed in the programme year and in the three years."""

from datetime import date

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.reports import targets
from app.reports.period import Period, programme_year
from app.reports.target_models import ProgrammeTarget
from tests.reports.funder_data import berlin, build


def test_elapsed_time_counts_whole_days_including_today():
    year = Period(date(2026, 1, 1), date(2026, 12, 31))
    assert targets.elapsed_share(year, date(2025, 12, 31)) == 0.0
    assert targets.elapsed_share(year, date(2026, 1, 1)) == 1 / 365
    assert targets.elapsed_share(year, date(2026, 7, 2)) == 183 / 365
    assert targets.elapsed_share(year, date(2026, 12, 31)) == 1.0
    assert targets.elapsed_share(year, date(2030, 1, 1)) == 1.0


def test_programme_years_are_twelve_months_from_the_start(app):
    assert programme_year(1, date(2026, 4, 1)) == Period(date(2026, 4, 1), date(2027, 3, 31))
    assert programme_year(3, date(2026, 4, 1)) == Period(date(2028, 4, 1), date(2029, 3, 31))
    assert programme_year(2) == Period(date(2027, 1, 1), date(2027, 12, 31))  # PROGRAMME_START 2026-01-01


def test_progress_math():
    line = targets.Line("checks", "Checks", 200, 50, 0.5)
    assert (line.percent, line.planned_by_now, line.on_schedule) == (25.0, 100.0, False)
    line = targets.Line("checks", "Checks", 200, 120, 0.5)
    assert (line.percent, line.planned_by_now, line.on_schedule) == (60.0, 100.0, True)
    assert targets.Line("checks", "Checks", None, 7, 0.5).percent is None
    assert targets.Line("checks", "Checks", 0, 0, 0.5).percent == 100.0
    assert targets.Line("checks", "Checks", 3, 1, 1.0).percent == 33.3


@pytest.mark.postgres
def test_progress_per_year_and_for_the_whole_programme(app, users):
    data = build(users)  # Q1 2026: 6 first checks, 1 re-check, 2 participations, 1 referral, 1 measure
    for name, case in data.cases.items():  # E9 and E10 opened in year 1, the others in year 2
        db.session.get(Case, case.id).opened_at = berlin(2026 if name in ("E9", "E10") else 2027, 2, 1, 9, 0)
    db.session.add_all([ProgrammeTarget(year=1, metric="checks", target=12),
                        ProgrammeTarget(year=2, metric="checks", target=100),
                        ProgrammeTarget(year=1, metric="businesses_reached", target=4)])
    db.session.commit()
    year1, year2, _year3, whole = targets.progress(today=date(2026, 7, 2))
    checks = {line.metric: line for line in year1.lines}
    assert year1.elapsed == 183 / 365 and year2.elapsed == 0.0
    assert (checks["checks"].actual, checks["checks"].target, checks["checks"].percent) == (7, 12, 58.3)
    # The Early business's T0 (31.12.2025) lies before the programme: 6 in Q1 2026 plus Late's on 01.04.
    assert checks["checks"].planned_by_now == round(12 * 183 / 365, 1) and checks["checks"].on_schedule
    assert checks["businesses_reached"].actual == 2 and checks["businesses_reached"].percent == 50.0
    assert checks["rechecks"].target is None and checks["rechecks"].actual == 1
    total = {line.metric: line for line in whole.lines}
    assert total["checks"].target == 112 and total["checks"].actual == 7
    assert total["businesses_reached"].actual == 9 and total["businesses_reached"].target == 4
    assert whole.elapsed == 183 / (365 + 365 + 366)  # 2028 has a 29 February


def _form(**values):
    data = {f"y{year}_{metric}": "" for year in (1, 2, 3) for metric in targets.METRICS}
    data.update(values)
    return data


@pytest.mark.parametrize("bad", ["-1", "1.5", "1,5", "²", "١٢", "zwölf", "10000001", "2147483648"])
def test_the_form_refuses_anything_but_a_whole_number_from_zero(client, login, bad):
    login("lead")
    response = client.post("/targets/edit", data=_form(y1_checks="12", y2_referrals=bad))
    assert response.status_code == 400
    assert "Bitte geben Sie eine ganze Zahl ab 0 ein" in response.get_data(as_text=True)
    assert db.session.scalars(select(ProgrammeTarget)).all() == []  # nothing half-saved


def test_the_lead_saves_and_changes_targets(client, login):
    login("lead")
    response = client.post("/targets/edit", data=_form(y1_checks="120", y1_rechecks="0", y3_referrals=" 40 "))
    assert response.status_code == 302 and response.headers["Location"].endswith("/targets")
    assert targets.targets() == {(1, "checks"): 120, (1, "rechecks"): 0, (3, "referrals"): 40}
    form = client.get("/targets/edit").get_data(as_text=True)
    assert 'name="y1_checks" type="text" value="120"' in form
    client.post("/targets/edit", data=_form(y1_checks="130"))  # an emptied field removes its target
    assert targets.targets() == {(1, "checks"): 130}
    page = client.get("/targets").get_data(as_text=True)
    assert "Programmjahr 1" in page and "Gesamtes Programm (drei Jahre)" in page and "130" in page
