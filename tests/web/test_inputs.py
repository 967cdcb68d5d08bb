"""Input checked before it reaches the database (app.inputs): ids in URLs, integers in query strings and
forms, check answers against the item's options, control characters and sizes. Each refusal is a 4xx
with a German message, on SQLite and PostgreSQL; tests/web/test_fuzz.py throws much more at every route."""

import pytest
from sqlalchemy import func, select

from app.cases.models import Business, Case, CaseEvent
from app.checks import services as checks
from app.checks.models import Check
from app.extensions import db
from app.inputs import DB_INT_MAX, db_id, parse_int
from app.reference.models import Municipality, Topic, Trade
from app.scheduling import links
from app.transactions import unit_of_work
from app.workshops.models import Attendance, Workshop
from tests.check_helpers import step_data
from tests.factories import add_check, add_workshop, make_case

HUGE = ("2147483648", str(2**63), str(10**20))
UNICODE_DIGITS = ("²", "١", "١٢")  # str.isdigit() says yes; int() takes "١" and "١٢", not "²"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _notes() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "note"))


@pytest.mark.parametrize("text", ["1", "42", str(DB_INT_MAX)])
def test_parse_int_reads_ascii_digits_within_the_range(text):
    assert parse_int(text) == int(text)


@pytest.mark.parametrize("text", ["", " 1", "1 ", "+1", "-1", "0", "1.5", "1e3", "0x10", "None", *HUGE,
                                  *UNICODE_DIGITS, "9" * 5000, None, 7])
def test_parse_int_refuses_everything_else(text):
    assert parse_int(text) is None


def test_parse_int_takes_a_range_and_db_id_a_placeholder():
    assert parse_int("0", minimum=0) == 0 and parse_int("11", maximum=10) is None
    assert db_id("") is None and db_id(None) is None and db_id("0") == 0 and db_id("17") == 17 and db_id(17) == 17
    for bad in ("None", " ", "²", "١", "-1", *HUGE, 2**63):
        with pytest.raises(ValueError):
            db_id(bad)


# --- ids in the path ----------------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("case_id", ["0", "01", *HUGE, *UNICODE_DIGITS, "-1"])
def test_an_id_outside_the_database_integer_or_not_in_ascii_digits_is_not_found(client, login, users, case_id):
    login("scout")
    make_case(users["scout"])  # case 1 exists: "01" and "١" must not reach it
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


@pytest.mark.postgres
def test_the_largest_database_integer_is_looked_up_and_not_found(client, login):
    login("lead")
    assert client.get(f"/cases/{DB_INT_MAX}").status_code == 404
    assert client.post(f"/admin/users/{2**31}/active", data={"active": "0"}).status_code in (403, 404)


# --- integers in query strings ------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("value", [*HUGE, "²", "١", " ", "-1"])
def test_integer_query_parameters_fall_back_to_their_default(client, login, users, value):
    make_case(users["scout"])
    login("scout")
    for url in (f"/cases?owner={value}", f"/cases?page={value}", f"/cases/1?page={value}", f"/partners?topic={value}",
                f"/partners?page={value}", f"/workshops?page={value}", f"/today?page={value}"):
        assert client.get(url).status_code == 200, url
    login("lead")
    for url in (f"/pipeline?owner={value}&municipality={value}&page={value}", f"/programme?municipality={value}",
                f"/outbox?page={value}"):
        assert client.get(url).status_code == 200, url


@pytest.mark.postgres
def test_a_huge_page_number_shows_the_first_page(client, login, users):
    make_case(users["scout"])
    login("scout")
    page = client.get(f"/cases?page={2**63}").get_data(as_text=True)
    assert "Tischlerei Brinkmann" in page


# --- integers in forms --------------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("version", ["²", "١", " ", "None", *HUGE])
def test_a_move_with_a_version_that_is_no_number_is_a_bad_request(client, login, users, version):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/move", data={"target": "withdrawn", "version": version,
                                                           "reason": "Kein Bedarf"})
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "contacted"


@pytest.mark.postgres
@pytest.mark.parametrize("value", ["None", "²", " ", *HUGE])
def test_a_select_that_sends_no_id_gets_a_german_field_error(client, login, users, value):
    case = add_check_to(make_case(users["scout"]))
    add_workshop()
    login("scout")
    response = client.post(f"/cases/{case.id}/attendance", data={"workshop_id": value})
    assert response.status_code == 422
    assert _error_in(response, ("Bitte wählen Sie einen Eintrag aus der Liste.", "Keine gültige Auswahl."))
    topic = db.session.scalar(select(Topic.id))
    response = client.post("/workshops/new", data={"title": "E-Rechnung", "topic_ids": value,
                                                   "starts_at": "2030-07-01T18:30", "place": "Gelsenkirchen"})
    assert response.status_code == 422 and topic is not None
    assert _error_in(response, ("Bitte wählen Sie ein Thema.", "Keine gültige Auswahl."))
    assert _count(Attendance) == 0 and _count(Workshop) == 1


def add_check_to(case: Case) -> Case:
    add_check(case)
    return case


def _error_in(response, messages) -> bool:
    html = response.get_data(as_text=True)
    return any(message in html for message in messages)


@pytest.mark.postgres
@pytest.mark.parametrize("field", ["municipality_id", "trade_id", "owner_id"])
@pytest.mark.parametrize("value", ["None", "²", str(2**63)])
def test_the_business_form_refuses_ids_outside_the_database_integer(client, login, field, value):
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Bottrop"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Elektrotechniker"))
    data = {"name": "Elektro Kowalski GmbH", "trade_id": trade.id, "postcode": "46236", "municipality_id": town.id,
            field: value}
    login("scout")
    response = client.post("/businesses/new", data=data)
    assert response.status_code == 422
    from_list = "Bitte wählen Sie einen Eintrag aus der Liste."
    message = {"trade_id": "Bitte wählen Sie das Gewerk.", "municipality_id": from_list, "owner_id": from_list}[field]
    assert f'<p class="error" id="{field}-error">{message}</p>' in response.get_data(as_text=True)
    assert _count(Business) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("value", ["²", "١", " ", "None", *HUGE])
def test_reassigning_refuses_case_ids_and_scouts_that_are_no_ids(client, login, users, value):
    case = make_case(users["scout"])
    login("lead")
    for data in ({"case_ids": [case.id, value], "new_owner": users["scout2"].id},
                 {"case_ids": [case.id], "new_owner": value}):
        response = client.post("/pipeline/reassign", data=data)
        assert response.status_code == 400
        assert _error_in(response, ("Bitte wählen Sie mindestens einen Fall aus.",
                                    "Bitte wählen Sie einen aktiven Scout aus, der die Fälle übernimmt."))
    db.session.expire_all()
    assert db.session.get(Case, case.id).owner_id == users["scout"].id


def test_a_suggested_measure_with_a_unicode_index_is_not_taken_over(client, login, users):
    case = make_case(users["scout"])
    check = add_check(case)
    login("scout")
    response = client.post(f"/checks/{check.id}/measures", data={"suggestion": ["strategy_plan:²", "x:١"]},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Bitte wählen Sie mindestens eine vorgeschlagene Maßnahme aus." in response.get_data(as_text=True)


# --- check answers ------------------------------------------------------------------------------------------------

def _self_check_link(case: Case) -> str:
    token = links.make_token("self_check", case_id=case.id, business_id=case.business_id)
    db.session.commit()
    return f"/s/{token}"


@pytest.fixture
def draft(users) -> Check:
    case = make_case(users["scout"])
    with unit_of_work():
        check = checks.start_or_continue(case, users["scout"])
    return check


@pytest.mark.postgres
@pytest.mark.parametrize("answer", [" ", "None", "7", "-1", "²", "١", str(2**63), "na "])
def test_a_check_answer_that_is_not_one_of_the_options_is_a_field_error(client, login, draft, answer):
    version = draft.questionnaire_version
    first = next(iter(step_data(1, version=version)))
    data = {**step_data(1, version=version), first: answer}
    login("scout")
    response = client.post(f"/checks/{draft.id}/steps/1", data=data)
    assert response.status_code == 422
    assert "Keine gültige Auswahl." in response.get_data(as_text=True)
    response = client.post(f"/checks/{draft.id}/steps/1/autosave", data=data)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {first: ["Keine gültige Auswahl."]}
    db.session.expire_all()
    assert db.session.get(Check, draft.id).answers == {}


@pytest.mark.postgres
@pytest.mark.parametrize("answer", [" ", "None", "7"])
def test_the_anonymous_self_check_link_refuses_answers_that_are_not_options(client, draft, answer):
    case = db.session.get(Case, draft.case_id)
    link = _self_check_link(case)
    version = draft.questionnaire_version
    first = next(iter(step_data(1, version=version)))
    response = client.post(f"{link}/steps/1", data={**step_data(1, version=version), first: answer, "go": "next"})
    assert response.status_code == 422
    assert "Keine gültige Auswahl." in response.get_data(as_text=True)
    assert client.post(f"{link}/steps/1", data={**step_data(1, version=version), "go": "next"}).status_code == 302


def test_an_item_left_open_and_keine_angabe_are_still_fine(client, login, draft):
    version = draft.questionnaire_version
    data = step_data(1, version=version)
    first, second = list(data)[:2]
    login("scout")
    response = client.post(f"/checks/{draft.id}/steps/1", data={**data, first: "", second: "na", "go": "step-²"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/checks/{draft.id}/steps/2")


# --- control characters and sizes ---------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("query", ["q=%00", "q=Tisch%00lerei", "q=%1B%5B0m", "q=%7F", "next=/%0D%0ASet-Cookie:x=1",
                                   "owner=%0A", "q%00=1"])
def test_control_characters_in_the_query_string_are_refused_in_german(client, login, query):
    login("scout")
    response = client.get(f"/cases?{query}")
    assert response.status_code == 400
    assert "Die Adresse enthält Steuerzeichen." in response.get_data(as_text=True)


def test_the_login_page_refuses_a_next_with_a_line_break(client):
    response = client.get("/login?next=/cases%0D%0ALocation:%20https://evil.example")
    assert response.status_code == 400


@pytest.mark.postgres
def test_a_nul_byte_in_a_form_is_refused_and_nothing_is_saved(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/notes", data={"channel": "call", "text": "Termin\x00vereinbart"})
    assert response.status_code == 400
    assert "Das Formular enthält Steuerzeichen" in response.get_data(as_text=True)
    assert _notes() == 0


@pytest.mark.postgres
def test_line_breaks_and_tabs_in_a_textarea_are_kept(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/notes", data={"channel": "call", "text": "Zeile 1\r\n\tZeile 2"})
    assert response.status_code == 302
    assert _notes() == 1


def test_a_control_character_in_the_path_is_refused(client):
    assert client.get("/s/abc%00def").status_code == 400


def test_an_overlong_query_value_is_refused(client, login):
    login("scout")
    response = client.get("/cases?q=" + "x" * 5000)
    assert response.status_code == 400
    assert "Eine Angabe in der Adresse ist zu lang." in response.get_data(as_text=True)


def test_a_body_over_the_limit_is_refused_in_german(app, client, login, users):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/notes", data={"channel": "call",
                                                            "text": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert "Die gesendeten Daten sind zu groß." in response.get_data(as_text=True)
