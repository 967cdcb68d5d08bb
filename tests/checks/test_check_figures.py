"""Completing a check writes its scores as rows and keeps the case's T0/T1 summary (app.checks.summary); the
rebuild (migration, `flask procheck rebuild-check-figures`) writes the same rows from the checks."""

import pytest
from sqlalchemy import select

from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.dma import dma_scores
from app.checks.models import RECHECK, CaseCheckSummary, CheckScore
from app.extensions import db
from tests.factories import add_check, make_case


def _rows(check_id: int) -> dict[str, float | None]:
    return dict(db.session.execute(select(CheckScore.dimension, CheckScore.score)
                                   .where(CheckScore.check_id == check_id)).all())


def _summaries() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(CaseCheckSummary.case_id, CaseCheckSummary.questionnaire_version, CaseCheckSummary.t0_check_id,
               CaseCheckSummary.t0_overall, CaseCheckSummary.t1_check_id, CaseCheckSummary.t1_overall,
               CaseCheckSummary.rechecks).order_by(CaseCheckSummary.case_id))]


def _scores() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(CheckScore.check_id, CheckScore.dimension, CheckScore.score)
        .order_by(CheckScore.check_id, CheckScore.dimension))]


@pytest.mark.postgres
def test_completing_checks_writes_the_scores_as_rows_and_the_case_summary(app, users):
    case = make_case(users["scout"])
    t0 = add_check(case, implementation=2, version="v1")
    rows = _rows(t0.id)
    assert {key: rows[key] for key in t0.scores} == t0.scores
    dma = dma_scores(qn.load("v1"), t0.scores)
    assert {key: rows[summary.DMA_PREFIX + key] for key in qn.DMA_KEYS} == dma
    assert len(rows) == len(t0.scores) + len(qn.DMA_KEYS)
    assert _summaries() == [(case.id, "v1", t0.id, 50.0, None, None, 0)]

    t1 = add_check(case, implementation=3, version="v1")
    assert t1.kind == RECHECK
    assert _summaries() == [(case.id, "v1", t0.id, 50.0, t1.id, 75.0, 1)]


@pytest.mark.postgres
def test_the_rebuild_writes_the_same_rows_as_completing(app, users):
    first, second = make_case(users["scout"]), make_case(users["scout"], name="Bäckerei Kamp")
    add_check(first, implementation=1, version="v1")
    add_check(first, implementation=3, version="v1")
    add_check(second, implementation=2, relevance=2, version="v2")
    written = (_summaries(), _scores())
    assert len(written[0]) == 2
    assert summary.rebuild(db.session.connection(), batch=1) == 2
    db.session.commit()
    assert (_summaries(), _scores()) == written


def test_the_summary_takes_the_first_check_and_the_latest_recheck_of_its_version():
    done = summary.Completed
    assert summary.summarise(1, []) is None
    checks = [done(5, "t0", "v1", 40.0), done(6, "t1", "v1", 50.0), done(7, "t1", "v2", 90.0),
              done(8, "t1", "v1", 60.0), done(9, "t0", "v1", 99.0)]
    assert summary.summarise(1, checks) == dict(case_id=1, questionnaire_version="v1", t0_check_id=5, t0_overall=40.0,
                                                t1_check_id=8, t1_overall=60.0, rechecks=3)


def test_rebuild_check_figures_command(app, users):
    add_check(make_case(users["scout"]), version="v1")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["procheck", "rebuild-check-figures"])
    assert result.exit_code == 0, result.output
    assert "1 Fälle" in result.output
    assert len(_summaries()) == 1
