"""The digitalisation check: questionnaire, scoring, taking it on a tablet, completing it (and the move)."""

import pytest
from flask import render_template
from sqlalchemy import func, select

from app.cases.models import Case, CaseEvent
from app.checks import questionnaire as qn
from app.checks import services
from app.checks.models import Check
from app.checks.scoring import score
from app.checks.services import checks_for_case
from app.extensions import db
from tests.factories import make_case

V1 = qn.load("v1")


def _small() -> qn.Questionnaire:
    def item(key):
        return qn.Item(key, key, "", (), ())

    levels = tuple(qn.Level(n, m, name) for n, m, name in
                   [(1, 0, "Einsteiger"), (2, 20, "Entdecker"), (3, 40, "Anwender"), (4, 60, "Fortgeschrittener"),
                    (5, 80, "Vorreiter")])
    return qn.Questionnaire(
        "t1", "Test", tuple(qn.ScaleOption(v, str(v)) for v in range(5)), levels,
        (qn.Dimension("a", "A", "", (), (item("a1"), item("a2"), item("a3"))),
         qn.Dimension("b", "B", "", (), (item("b1"), item("b2"))),
         qn.Dimension("c", "C", "", (), (item("c1"),))),
    )


# --- questionnaire and scoring (no database) ---

def test_v1_has_at_least_six_dimensions_with_unique_items_and_is_cached():
    assert len(V1.dimensions) >= 6
    keys = [item.key for item in V1.items]
    assert len(keys) == len(set(keys))
    assert [lv.name for lv in V1.levels] == ["Einsteiger", "Entdecker", "Anwender", "Fortgeschrittener", "Vorreiter"]
    assert qn.load("v1") is V1


@pytest.mark.parametrize("version", ["v999", "../partners", "v1.json"])
def test_unknown_or_unsafe_version_is_refused(version):
    with pytest.raises(LookupError):
        qn.load(version)


def test_score_leaves_no_answer_out_of_the_mean():
    # a: (4 + 3) / 2 = 3.5 -> 87.5; b: (1 + 0) / 2 -> 12.5; c: only "keine Angabe" -> no score
    result = score(_small(), {"a1": 4, "a2": 3, "a3": None, "b1": 1, "b2": 0, "c1": None})
    assert result.dimensions == {"a": 87.5, "b": 12.5, "c": None}
    assert result.overall == 50.0  # (87.5 + 12.5) / 2, c left out
    assert result.level == 3


def test_score_rounds_to_one_decimal():
    # a: (1 + 1 + 2) / 3 = 1.333 -> 33.3; b: (4 + 4) / 2 -> 100; c: 3 -> 75; overall (33.3 + 100 + 75) / 3 = 69.43
    result = score(_small(), {"a1": 1, "a2": 1, "a3": 2, "b1": 4, "b2": 4, "c1": 3})
    assert result.dimensions == {"a": 33.3, "b": 100.0, "c": 75.0}
    assert result.overall == 69.4
    assert result.level == 4


def test_all_zero_check_scores_zero_at_level_one():
    result = score(V1, {item.key: 0 for item in V1.items})
    assert set(result.dimensions.values()) == {0.0}
    assert result.overall == 0.0 and result.level == 1


def test_only_no_answer_gives_no_score_and_no_level():
    result = score(V1, {item.key: None for item in V1.items})
    assert set(result.dimensions.values()) == {None}
    assert result.overall is None and result.level is None


def test_level_thresholds_are_inclusive():
    assert V1.level_for(80.0).level == 5 and V1.level_for(79.9).level == 4 and V1.level_for(20.0).level == 2


def test_a_value_off_the_scale_is_refused():
    with pytest.raises(ValueError):
        score(_small(), {"a1": 7})


# --- taking a check over HTTP ---

def _answers(value: str = "2", **overrides: str) -> dict[str, str]:
    data = {f"q_{item.key}": value for item in V1.items}
    data.update({f"q_{key}": v for key, v in overrides.items()})
    return data


def _start(client, case) -> Check:
    response = client.post(f"/cases/{case.id}/checks")
    assert response.status_code == 302 and "/checks/" in response.headers["Location"]
    return db.session.scalar(select(Check).where(Check.case_id == case.id).order_by(Check.id.desc()))


def _events(case, kind=None) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    return list(db.session.scalars(query.where(CaseEvent.kind == kind) if kind else query))


def test_starting_twice_continues_the_open_draft(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    first = _start(client, case)
    second = _start(client, case)
    assert first.id == second.id and first.status == "draft" and first.questionnaire_version == "v1"
    assert db.session.scalar(select(func.count(Check.id))) == 1


def test_form_shows_every_dimension_as_fieldset_with_no_answer_and_offers_the_move(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    page = client.get(f"/checks/{check.id}").get_data(as_text=True)
    for dimension in V1.dimensions:
        assert f"{dimension.name}</legend>" in page
    assert page.count('type="radio"') == 6 * len(V1.items)
    assert "Keine Angabe" in page and "vollständig umgesetzt" in page
    assert "Fall anschließend auf „Check durchgeführt“ setzen" in page


def test_draft_keeps_answers_and_shows_them_again(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    response = client.post(f"/checks/{check.id}", data={"q_strategy_plan": "3", "q_customers_website": "na",
                                                        "save": "1"}, follow_redirects=True)
    assert "als Entwurf gespeichert" in response.get_data(as_text=True)
    db.session.refresh(check)
    assert check.answers == {"strategy_plan": 3, "customers_website": None} and check.status == "draft"
    assert 'checked id="q_strategy_plan-3"' in client.get(f"/checks/{check.id}").get_data(as_text=True)


def test_completing_with_open_questions_is_refused_and_lists_them(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    data = _answers()
    del data["q_security_backup"], data["q_skills_training"]
    response = client.post(f"/checks/{check.id}", data={**data, "complete": "1", "move_on": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Der Check ist noch nicht vollständig: 2 Fragen sind offen" in page
    assert "Noch offene Fragen" in page and "Unsere Daten werden regelmäßig automatisch gesichert" in page
    db.session.refresh(check)
    assert check.status == "draft" and check.completed_at is None and check.overall_score is None
    assert len(check.answers) == len(V1.items) - 2  # the given answers are kept as a draft
    assert _events(case, "check_completed") == []
    assert db.session.get(Case, case.id).state == "contacted"


def test_completing_with_move_on_scores_and_moves_the_case(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    # strategy all 4 -> 100; six other dimensions all 2 -> 50; overall (100 + 6 * 50) / 7 = 57.1 -> level 3
    data = _answers("2", **{item.key: "4" for item in V1.dimensions[0].items})
    response = client.post(f"/checks/{check.id}", data={**data, "complete": "1", "move_on": "y"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Der Digitalisierungscheck ist abgeschlossen." in page
    assert "Der Fall steht jetzt auf „Check durchgeführt“." in page
    assert "57,1 von 100 Punkten" in page and "Stufe 3 von 5: Anwender" in page
    assert "Strategie und Geschäftsmodell" in page and "100,0" in page
    db.session.refresh(check)
    assert check.status == "completed" and check.completed_at is not None
    assert check.overall_score == 57.1 and check.level == 3
    assert check.scores["strategy"] == 100.0 and check.scores["security"] == 50.0
    assert db.session.get(Case, case.id).state == "check_done"
    kinds = [(e.kind, e.to_state) for e in _events(case) if e.kind in ("check_completed", "moved")]
    assert kinds[-2:] == [("check_completed", None), ("moved", "check_done")]
    completed = _events(case, "check_completed")[0]
    assert completed.data == {"check_id": check.id, "overall": 57.1, "level": 3}
    assert "57,1 von 100 Punkten" in completed.text


def test_completing_without_move_on_leaves_the_case_where_it_is(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    client.post(f"/checks/{check.id}", data={**_answers("0"), "complete": "1"})
    db.session.refresh(check)
    assert check.status == "completed" and check.overall_score == 0.0 and check.level == 1
    assert db.session.get(Case, case.id).state == "contacted"
    assert len(_events(case, "check_completed")) == 1 and _events(case, "moved") == []


def test_another_scout_may_take_the_check_but_is_not_offered_the_move(client, login, users):
    case = make_case(users["scout"])
    login("scout2")
    check = _start(client, case)
    assert "Fall anschließend" not in client.get(f"/checks/{check.id}").get_data(as_text=True)
    client.post(f"/checks/{check.id}", data={**_answers("na"), "complete": "1", "move_on": "y"})
    db.session.refresh(check)
    assert check.status == "completed" and check.overall_score is None
    assert db.session.get(Case, case.id).state == "contacted"


def test_an_answer_off_the_scale_is_refused_and_nothing_saved(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    response = client.post(f"/checks/{check.id}", data={**_answers(strategy_plan="7"), "complete": "1"})
    assert "Keine gültige Auswahl" in response.get_data(as_text=True)
    db.session.refresh(check)
    assert check.status == "draft" and check.answers == {}


def test_completed_check_opens_its_result_and_a_draft_has_none(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    assert client.get(f"/checks/{check.id}/result").headers["Location"].endswith(f"/checks/{check.id}")
    client.post(f"/checks/{check.id}", data={**_answers(), "complete": "1"})
    assert client.get(f"/checks/{check.id}").headers["Location"].endswith(f"/checks/{check.id}/result")
    assert client.get("/checks/99999").status_code == 404
    assert client.post("/cases/99999/checks").status_code == 404


def _panel(app, case) -> str:
    # A fresh app context: the fixture's context (and its `g`, where Flask-Login caches the user) stays clean.
    with app.app_context(), app.test_request_context():
        return render_template("checks/_case_panel.html", case=case, items=checks_for_case(case.id), can_edit=True)


def test_case_panel_lists_checks_and_offers_start_or_continue(app, client, login, users):
    case = make_case(users["scout"])
    empty = _panel(app, case)
    assert "Noch kein Check." in empty and "Check beginnen" in empty
    login("scout")
    check = _start(client, case)
    panel = _panel(app, case)
    assert "Entwurf vom" in panel and "Check fortsetzen" in panel and f"/checks/{check.id}" in panel
    client.post(f"/checks/{check.id}", data={**_answers(), "complete": "1"})
    done = _panel(app, case)
    assert "50,0 Punkte, Reifegrad 3 (Anwender)" in done and "Neuen Check beginnen" in done


def test_a_check_completed_meanwhile_is_not_completed_twice(app, client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = _start(client, case)
    with app.app_context():  # a second tablet loads the draft in its own session
        stale = db.session.get(Check, check.id)
        stale_answers = stale.answers
    client.post(f"/checks/{check.id}", data={**_answers("4"), "complete": "1"})
    assert stale.status == "draft" and stale_answers == {}
    with pytest.raises(services.AlreadyCompleted):
        services.complete(stale, case, users["scout2"], {item.key: 0 for item in V1.items}, move_on=False)
    db.session.refresh(check)
    assert check.overall_score == 100.0 and len(_events(case, "check_completed")) == 1
