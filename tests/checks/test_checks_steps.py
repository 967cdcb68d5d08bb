"""Scout mode: one dimension per step, saved as you go (also in the background), resume, review, complete."""

import pytest
from flask import render_template
from sqlalchemy import func, select

from app.cases.models import Case, CaseEvent
from app.checks import questionnaire as qn
from app.checks import services
from app.checks.models import Check
from app.checks.services import checks_for_case
from app.extensions import db
from tests.check_helpers import complete, fill_in, start, step_data
from tests.factories import add_check, make_case

V2 = qn.load("v2")
STEPS = len(V2.dimensions)
REVIEW = STEPS + 1


def _events(case, kind=None) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    return list(db.session.scalars(query.where(CaseEvent.kind == kind) if kind else query))


def test_starting_twice_continues_the_open_draft_with_the_current_version(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    first = start(client, case)
    second = start(client, case)
    assert first.id == second.id and first.status == "draft"
    assert first.questionnaire_version == "v2" and first.kind == "t0" and first.current_step == 1
    assert db.session.scalar(select(func.count(Check.id))) == 1


def test_a_step_shows_one_dimension_with_progress_and_both_ratings(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    page = client.get(f"/checks/{check.id}/steps/2").get_data(as_text=True)
    dimension = V2.dimensions[1]
    assert "Schritt 2 von 7" in page and f'<h2 class="dimension-name">{dimension.name}</h2>' in page
    assert V2.dimensions[0].items[0].text not in page  # only this step's items
    assert page.count('type="radio"') == len(dimension.items) * 2 * 6  # two scales of 5 + "keine Angabe"
    for words in ("Wie weit umgesetzt?", "Wie wichtig für den Betrieb?", "vollständig umgesetzt", "sehr relevant",
                  "Keine Angabe", "Weiter", "Zurück", "Speichern und zurück zum Fall", "Zu einem Schritt springen"):
        assert words in page, words
    assert 'aria-current="step"' in page and 'data-autosave-url="/checks/' in page


@pytest.mark.postgres
def test_next_saves_the_step_and_remembers_where_to_resume(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    data = step_data(2, "3", "4", **{"q_customers_website": "na", "r_customers_website": "1"})
    del data["r_customers_reviews"]  # one rating still open
    response = client.post(f"/checks/{check.id}/steps/2", data={**data, "go": "next"})
    assert response.headers["Location"].endswith(f"/checks/{check.id}/steps/3")
    db.session.refresh(check)
    assert check.current_step == 3 and check.status == "draft"
    assert check.answers["customers_website"] == {"implementation": None, "relevance": 1}
    assert check.answers["customers_business_profile"] == {"implementation": 3, "relevance": 4}
    assert check.answers["customers_reviews"] == {"implementation": 3}


def test_resume_after_interruption_shows_the_step_with_its_answers(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    client.post(f"/checks/{check.id}/steps/1", data={**step_data(1), "go": "next"})
    client.post(f"/checks/{check.id}/steps/2", data={**step_data(2, "4", "1"), "go": "case"})
    # The tablet is closed; later the scout opens the case and continues the check.
    panel = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Check fortsetzen" in panel
    response = client.post(f"/cases/{case.id}/checks")
    assert response.headers["Location"].endswith(f"/checks/{check.id}/steps/2")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Schritt 2 von 7" in page
    assert 'checked id="q_customers_website-4"' in page and 'checked id="r_customers_website-1"' in page
    assert client.get(f"/checks/{check.id}").headers["Location"].endswith("/steps/2")


def test_background_save_stores_the_answers_but_leaves_the_resume_point(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    response = client.post(f"/checks/{check.id}/steps/4/autosave", data={"q_site_job_folder": "1",
                                                                           "r_site_job_folder": "na"})
    assert response.status_code == 200 and response.json["saved"] is True
    assert response.json["answered"]["site"] == 1
    db.session.refresh(check)
    assert check.answers == {"site_job_folder": {"implementation": 1, "relevance": None}}
    assert check.current_step == 1  # a late background save never moves the resume point back
    bad = client.post(f"/checks/{check.id}/steps/4/autosave", data={"q_site_job_folder": "9"})
    assert bad.status_code == 422 and bad.json["saved"] is False
    assert client.post(f"/checks/{check.id}/steps/{REVIEW}/autosave", data={}).status_code == 404


def test_an_answer_off_the_scale_is_refused_and_nothing_of_the_step_saved(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    response = client.post(f"/checks/{check.id}/steps/1",
                           data={**step_data(1, **{"r_strategy_plan": "7"}), "go": "next"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Keine gültige Auswahl" in page and "nichts aus diesem Schritt" in page
    db.session.refresh(check)
    assert check.answers == {} and check.current_step == 1


def test_back_and_jump_save_too(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    back = client.post(f"/checks/{check.id}/steps/3", data={**step_data(3), "go": "back"})
    assert back.headers["Location"].endswith("/steps/2")
    jump = client.post(f"/checks/{check.id}/steps/2", data={**step_data(2), "go": "step-6"})
    assert jump.headers["Location"].endswith("/steps/6")
    db.session.refresh(check)
    assert len(check.answers) == len(V2.dimensions[1].items) + len(V2.dimensions[2].items)
    assert client.get(f"/checks/{check.id}/steps/99").headers["Location"].endswith("/steps/6")


def test_review_lists_open_questions_and_refuses_to_complete(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    for step in range(1, REVIEW):
        data = step_data(step)
        if step == 5:
            del data["q_security_backup"], data["r_security_backup"]  # not answered at all
        if step == 6:
            del data["r_skills_training"]  # only the relevance is open
        client.post(f"/checks/{check.id}/steps/{step}", data={**data, "go": "next"})
    response = complete(client, check)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Der Check ist noch nicht vollständig: 2 Fragen sind offen" in page
    assert "Noch offene Fragen" in page and "Wir bilden uns regelmäßig" in page
    assert f"/checks/{check.id}/steps/6#item-skills_training" in page
    assert f"/checks/{check.id}/steps/5#item-security_backup" in page
    db.session.refresh(check)
    assert check.status == "draft" and check.completed_at is None and _events(case, "check_completed") == []
    assert db.session.get(Case, case.id).state == "contacted"


def test_completing_the_first_check_scores_it_and_moves_the_case_in_one_step(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    # step 1 (strategy) all 4 -> 100; six other dimensions all 2 -> 50; overall (100 + 6 * 50) / 7 = 57.1 -> level 3
    fill_in(client, check, "2", "4", per_step={1: ("4", "4")})
    review = client.get(f"/checks/{check.id}/steps/{REVIEW}").get_data(as_text=True)
    assert "Alle Fragen sind beantwortet" in review and "Fall anschließend auf „Check durchgeführt“ setzen" in review
    page = complete(client, check).get_data(as_text=True)
    assert "Der Digitalisierungscheck ist abgeschlossen." in page
    assert "Der Fall steht jetzt auf „Check durchgeführt“." in page
    assert "57,1 von 100 Punkten" in page and "Stufe 3 von 5: Anwender" in page
    db.session.refresh(check)
    assert check.status == "completed" and check.overall_score == 57.1 and check.level == 3
    assert check.scores["strategy"] == 100.0 and check.scores["security"] == 50.0
    assert db.session.get(Case, case.id).state == "check_done"
    kinds = [(e.kind, e.to_state) for e in _events(case) if e.kind in ("check_completed", "moved")]
    assert kinds[-2:] == [("check_completed", None), ("moved", "check_done")]
    assert _events(case, "check_completed")[0].data == {"check_id": check.id, "overall": 57.1, "level": 3}
    assert client.get(f"/checks/{check.id}/steps/2").headers["Location"].endswith("/result")


def test_completing_without_move_on_leaves_the_case_and_all_no_answer_has_no_score(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    fill_in(client, check, "na", "na")
    complete(client, check, move_on=False)
    db.session.refresh(check)
    assert check.status == "completed" and check.overall_score is None and check.level is None
    assert db.session.get(Case, case.id).state == "contacted" and _events(case, "moved") == []


@pytest.mark.postgres
def test_saving_into_a_check_completed_meanwhile_is_refused(app, client, login, users):
    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    fill_in(client, check, "4", "4")
    complete(client, check, move_on=False)
    response = client.post(f"/checks/{check.id}/steps/2/autosave", data=step_data(2, "0", "0"))
    assert response.status_code == 409
    with pytest.raises(services.AlreadyCompleted):
        services.complete(db.session.get(Check, check.id), case, users["scout2"], move_on=False)
    db.session.refresh(check)
    assert check.overall_score == 100.0 and len(_events(case, "check_completed")) == 1


def test_a_recheck_uses_the_first_checks_version_even_after_a_new_one(client, login, users):
    case = make_case(users["scout"])
    first = add_check(case)  # a v1 check (T0), taken before v2 became current
    first.scores = {d.key: 50.0 for d in qn.load("v1").dimensions}
    db.session.commit()
    login("scout")
    recheck = start(client, case)
    assert recheck.kind == "t1" and recheck.questionnaire_version == "v1" and qn.CURRENT_VERSION == "v2"
    page = client.get(f"/checks/{recheck.id}/steps/1").get_data(as_text=True)
    assert 'name="r_' not in page and page.count('type="radio"') == 6 * len(qn.load("v1").dimensions[0].items)
    fill_in(client, recheck, "3")
    complete(client, recheck, move_on=False)
    db.session.refresh(recheck)
    assert recheck.status == "completed" and recheck.overall_score == 75.0
    event = _events(case, "check_completed")[-1]
    assert "Veränderung seit dem ersten Check: +25,0 Punkte" in event.text
    other = make_case(users["scout"], name="Elektro Kaya")
    assert start(client, other).questionnaire_version == "v2"


def test_case_panel_shows_first_check_and_recheck_side_by_side(app, client, login, users):
    case = make_case(users["scout"])
    first = add_check(case)
    first.scores = {d.key: 50.0 for d in qn.load("v1").dimensions}
    db.session.commit()
    login("scout")
    recheck = start(client, case)
    fill_in(client, recheck, "3", per_step={5: ("1", "")})  # security: 25 -> change −25
    complete(client, recheck, move_on=False)
    with app.app_context(), app.test_request_context():
        panel = render_template("checks/_case_panel.html", case=case, items=checks_for_case(case.id), can_edit=True)
    assert "Erster Check und Re-Check im Vergleich" in panel and "Re-Check vom" in panel
    assert "+25,0" in panel and "−25,0" in panel and "Neuen Check beginnen" in panel


def test_the_step_form_works_without_the_staff_layout(app, users):
    """The business will fill in the check through a link: the public layout has no staff navigation."""
    case = make_case(users["scout"])
    check = Check(case_id=case.id, questionnaire_version="v2", status="draft", answers={})
    db.session.add(check)
    db.session.commit()
    from app.checks.forms import step_form_class

    with app.test_request_context():
        form = step_form_class(V2, 1)(formdata=None)
        page = render_template("checks/step.html", form=form, check=check, case=case, questionnaire=V2, step=1,
                               review=REVIEW, public=True, answered=dict.fromkeys([d.key for d in V2.dimensions], 0),
                               step_url=lambda n: f"/self-check/token/{n}", autosave_url=lambda n: f"/s/{n}/save",
                               case_url="")
    assert "Ihr Digitalisierungscheck" in page and "Schritt 1 von 7" in page and 'action="/self-check/token/1"' in page
    assert "Hauptnavigation" not in page and "Zurück zum Fall" not in page and "Tischlerei" not in page


def test_a_move_refused_while_completing_leaves_the_check_open_and_nothing_written(client, login, users, monkeypatch):
    from app.cases import workflow

    case = make_case(users["scout"])
    login("scout")
    check = start(client, case)
    fill_in(client, check, "2", "4")

    def conflict(*_args, **_kwargs):
        raise workflow.Conflict()

    monkeypatch.setattr(workflow, "move", conflict)  # another tablet moved the case meanwhile
    response = complete(client, check)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Der Fall wurde inzwischen geändert" in page and "Check abschließen" in page  # the review again
    db.session.expire_all()
    check = db.session.get(Check, check.id)
    assert check.status == "draft" and check.completed_at is None and check.overall_score is None
    assert _events(case, "check_completed") == [] and db.session.get(Case, case.id).state == "contacted"
