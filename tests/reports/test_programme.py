"""The programme view for the lead: checks T0/T1, mean scores, mean change T0→T1, by trade group and
municipality, and in the EU DMA frame, on a small hand-computed dataset."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases.models import Business
from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.models import Check
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.reports.programme import programme
from app.timeutil import utcnow
from tests.factories import make_case

KEYS = [d.key for d in qn.load("v2").dimensions]  # strategy first


def _scores(strategy: float, others: float) -> dict[str, float]:
    return {key: strategy if key == "strategy" else others for key in KEYS}


def _check(case, kind, scores, overall, days_ago, status="completed"):
    check = Check(case_id=case.id, questionnaire_version="v2", kind=kind, status=status, answers={}, scores=scores,
                  overall_score=overall, completed_at=utcnow() - timedelta(days=days_ago) if status == "completed"
                  else None)
    db.session.add(check)
    db.session.flush()
    if status == "completed":  # what services.complete writes besides the check: its scores as rows, the summary
        summary.record(check)
    db.session.commit()
    return check


def _business(users, name, trade, town):
    case = make_case(users["scout"], name=name)
    business = db.session.get(Business, case.business_id)
    business.trade_id = db.session.scalar(select(Trade.id).where(Trade.name == trade))
    business.municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == town))
    db.session.commit()
    return case


@pytest.fixture
def dataset(app, users):
    """A: Tischler in Gelsenkirchen, 40 -> 60 everywhere. B: Tischler in Bottrop, 20, not re-checked.
    C: Kfz in Gelsenkirchen, strategy 100 and 30 elsewhere (overall 40) -> strategy 100 and 65 (overall 70)."""
    a = _business(users, "Tischlerei A", "Tischler", "Gelsenkirchen")
    b = _business(users, "Tischlerei B", "Tischler", "Bottrop")
    c = _business(users, "Autohaus C", "Kraftfahrzeugtechniker", "Gelsenkirchen")
    _check(a, "t0", _scores(40, 40), 40.0, 300)
    _check(a, "t1", _scores(60, 60), 60.0, 10)
    _check(b, "t0", _scores(20, 20), 20.0, 200)
    _check(b, "t1", _scores(90, 90), None, 0, status="draft")  # a draft re-check counts nowhere
    _check(c, "t0", _scores(100, 30), 40.0, 250)
    _check(c, "t1", _scores(100, 65), 70.0, 5)


def _line(lines, key):
    return next(line for line in lines if line.key == key)


@pytest.mark.postgres
def test_programme_figures_on_a_hand_computed_dataset(dataset):
    figures = programme().figures
    assert (figures.t0_checks, figures.t1_checks, figures.rechecked) == (3, 2, 2)
    strategy, customers = _line(figures.dimensions, "strategy"), _line(figures.dimensions, "customers")
    assert strategy.mean_t0 == 53.3 and strategy.mean_change == 10.0  # (40+20+100)/3; (20+0)/2
    assert customers.mean_t0 == 30.0 and customers.mean_change == 27.5  # (40+20+30)/3; (20+35)/2
    assert figures.overall.mean_t0 == 33.3 and figures.overall.mean_change == 25.0  # (40+20+40)/3; (20+30)/2
    # DMA: digital_business_strategy <- strategy and customers: A 40 -> 60, B 20, C 65 -> 82.5
    strategy_dma = _line(figures.dma, "digital_business_strategy")
    assert strategy_dma.mean_t0 == 41.7 and strategy_dma.mean_change == 18.8  # (40+20+65)/3; (20+17.5)/2
    human = _line(figures.dma, "human_centric_digitalisation")  # <- skills only
    assert human.mean_t0 == 30.0 and human.mean_change == 27.5


def test_programme_by_trade_group_and_municipality(dataset):
    result = programme()
    groups = {row.key: row.figures for row in result.by_group}
    assert (groups["Ausbaugewerbe"].t0_checks, groups["Ausbaugewerbe"].rechecked) == (2, 1)
    assert groups["Ausbaugewerbe"].overall.mean_t0 == 30.0 and groups["Ausbaugewerbe"].overall.mean_change == 20.0
    assert groups["Kraftfahrzeuggewerbe"].overall.mean_change == 30.0
    assert groups["Lebensmittelgewerbe"].t0_checks == 0 and groups["Lebensmittelgewerbe"].overall.mean_t0 is None
    towns = {row.label: row.figures for row in result.by_municipality}
    assert (towns["Gelsenkirchen"].t0_checks, towns["Gelsenkirchen"].t1_checks) == (2, 2)
    assert towns["Gelsenkirchen"].overall.mean_t0 == 40.0 and towns["Gelsenkirchen"].overall.mean_change == 25.0
    assert towns["Bottrop"].overall.mean_t0 == 20.0 and towns["Bottrop"].overall.mean_change is None
    only = programme(group="Kraftfahrzeuggewerbe").figures
    assert only.t0_checks == 1 and _line(only.dimensions, "strategy").mean_t0 == 100.0
    assert programme(group="Unbekannt").figures.t0_checks == 3  # an unknown filter filters nothing


def test_programme_page_shows_the_figures_in_german(client, login, dataset):
    login("lead")
    page = client.get("/programme").get_data(as_text=True)
    assert "Programm: gemessene Wirkung der Checks" in page
    assert "Erste Checks (T0): <strong>3</strong>" in page and "Re-Checks (T1): <strong>2</strong>" in page
    assert "<td class=\"num\">53,3</td><td class=\"num\">+10,0</td>" in page
    assert "Digitale Geschäftsstrategie" in page and "+18,8" in page
    assert "Ausbaugewerbe" in page and "Gelsenkirchen" in page and 'aria-current="page">Programm</a>' in page
    filtered = client.get("/programme?group=Kraftfahrzeuggewerbe").get_data(as_text=True)
    assert "Erste Checks (T0): <strong>1</strong>" in filtered and "Checks: Kraftfahrzeuggewerbe" in filtered


def test_programme_is_for_the_lead_only(client, login, dataset):
    login("scout")
    assert client.get("/programme").status_code == 403
