"""The team lead's pipeline: counts from the database, the filtered list and reassigning cases."""

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.cases import workflow
from app.cases.models import Business, Case, CaseEvent
from app.cases.services import open_business_case
from app.checks.models import Check
from app.demo_bulk import seed_bulk
from app.extensions import db
from app.reference.models import Municipality, Trade


def _town(name: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def _open(name: str, town: Municipality, owner) -> Case:
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    business = Business(name=name, trade_id=trade.id, postcode=town.postcodes[0].code, municipality_id=town.id)
    return open_business_case(business, owner, owner)


def _check_done(case: Case, owner) -> None:
    db.session.add(Check(case_id=case.id, questionnaire_version="v1", status="completed", answers={}, scores={}))
    workflow.move(case, "check_done", owner)
    db.session.commit()


@pytest.fixture
def cases(app, users):
    """Five cases: two scouts, two municipalities, three states."""
    marl, dorsten = _town("Marl"), _town("Dorsten")
    made = {
        "elektro": _open("Elektro Kowalski GmbH", marl, users["scout"]),
        "tischlerei": _open("Tischlerei Brinkmann", marl, users["scout"]),
        "baeckerei": _open("Bäckerei Overkamp", dorsten, users["scout"]),
        "dach": _open("Dachdeckerei Wessels", dorsten, users["scout2"]),
        "maler": _open("Malerbetrieb Tenhagen", marl, users["scout2"]),
    }
    _check_done(made["tischlerei"], users["scout"])
    _check_done(made["dach"], users["scout2"])
    workflow.move(made["maler"], "withdrawn", users["scout2"], reason="Kein Interesse mehr.")
    db.session.commit()
    return made


def _count(**criteria) -> int:
    query = select(func.count()).select_from(Case).join(Business, Business.id == Case.business_id)
    for column, value in criteria.items():
        query = query.where({"owner": Case.owner_id, "state": Case.state,
                             "municipality": Business.municipality_id}[column] == value)
    return db.session.scalar(query)


def _link(count: int, **args) -> str:
    query = "&amp;".join(f"{key}={value}" for key, value in args.items())
    return f'href="/pipeline{"?" if query else ""}{query}#cases">{count}</a>'


@pytest.mark.postgres
def test_pipeline_counts_match_the_database(client, login, users, cases):
    login("lead")
    html = client.get("/pipeline").get_data(as_text=True)
    assert "Fälle je Status" in html
    for state in workflow.STATES:
        assert f"{workflow.state_label(state)}: <strong>{_count(state=state)}</strong>" in html
    assert _count(state="contacted") == 2 and _count(state="check_done") == 2
    for scout in ("scout", "scout2"):
        owner = users[scout].id
        for state in ("contacted", "check_done", "withdrawn"):
            if _count(owner=owner, state=state):
                assert _link(_count(owner=owner, state=state), owner=owner, state=state) in html
        assert _link(_count(owner=owner), owner=owner) in html
    for town in (_town("Marl"), _town("Dorsten")):
        assert _link(_count(municipality=town.id, state="contacted"), municipality=town.id, state="contacted") in html
        assert _link(_count(municipality=town.id), municipality=town.id) in html
    assert '<th scope="row">Waltrop</th>' in html  # a municipality without cases is still a row
    assert _link(5) in html  # the grand total


def test_counts_link_to_the_filtered_list(client, login, users, cases):
    login("lead")
    html = client.get(f"/pipeline?owner={users['scout'].id}&state=contacted").get_data(as_text=True)
    assert "Elektro Kowalski GmbH" in html and "Bäckerei Overkamp" in html
    assert "Tischlerei Brinkmann" not in html and "Dachdeckerei Wessels" not in html
    html = client.get(f"/pipeline?municipality={_town('Dorsten').id}").get_data(as_text=True)
    assert "Bäckerei Overkamp" in html and "Dachdeckerei Wessels" in html and "Malerbetrieb Tenhagen" not in html


def test_list_has_25_cases_per_page(client, login):
    login("lead")
    seed_bulk(30)
    assert client.get("/pipeline").get_data(as_text=True).count('name="case_ids"') == 25
    second = client.get("/pipeline?page=2").get_data(as_text=True)
    assert second.count('name="case_ids"') == 5 and "Seite 2 von 2" in second


def test_reassigning_two_cases_changes_owner_and_timeline(client, login, users, cases):
    login("lead")
    chosen = [cases["elektro"].id, cases["tischlerei"].id]
    response = client.post("/pipeline/reassign", data={"case_ids": chosen, "new_owner": users["scout2"].id},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "2 Fälle wurden an Sven Scout übergeben." in response.get_data(as_text=True)
    db.session.expire_all()
    for case_id in chosen:
        assert db.session.get(Case, case_id).owner_id == users["scout2"].id
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                          CaseEvent.kind == "reassigned"))
        assert event.actor_id == users["lead"].id
        assert event.data == {"from_owner": users["scout"].id, "to_owner": users["scout2"].id}
    assert db.session.get(Case, cases["baeckerei"].id).owner_id == users["scout"].id


def test_cases_the_scout_already_owns_are_counted_apart(client, login, users, cases):
    login("lead")
    chosen = [cases["elektro"].id, cases["dach"].id]
    response = client.post(f"/pipeline/reassign?owner={users['scout'].id}&page=2",
                           data={"case_ids": chosen, "new_owner": users["scout2"].id})
    assert response.headers["Location"] == f"/pipeline?owner={users['scout'].id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 Fall wurde an Sven Scout übergeben." in html
    assert "1 Fall gehörte schon Sven Scout." in html
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "reassigned")) == 1


def _nothing_changed(cases, users) -> None:
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "reassigned")) == 0
    assert db.session.get(Case, cases["elektro"].id).owner_id == users["scout"].id


def test_empty_selection_is_refused_in_german(client, login, users, cases):
    login("lead")
    response = client.post("/pipeline/reassign", data={"new_owner": users["scout2"].id})
    assert response.status_code == 400
    assert "Bitte wählen Sie mindestens einen Fall aus." in response.get_data(as_text=True)
    _nothing_changed(cases, users)


@pytest.mark.parametrize("target", ["lead", "unknown", "empty"])
def test_unknown_scout_is_refused_in_german(client, login, users, cases, target):
    login("lead")
    owner = {"lead": users["lead"].id, "unknown": 99999, "empty": ""}[target]
    response = client.post("/pipeline/reassign", data={"case_ids": [cases["elektro"].id], "new_owner": owner})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie einen aktiven Scout aus, der die Fälle übernimmt." in html
    assert f'value="{cases["elektro"].id}" id="case-{cases["elektro"].id}" checked>' in html
    _nothing_changed(cases, users)


def test_a_deleted_case_is_refused_and_nothing_changes(client, login, users, cases):
    login("lead")
    response = client.post("/pipeline/reassign",
                           data={"case_ids": [cases["elektro"].id, 99999], "new_owner": users["scout2"].id})
    assert response.status_code == 409
    assert "Einige der ausgewählten Fälle gibt es nicht mehr." in response.get_data(as_text=True)
    _nothing_changed(cases, users)


@pytest.mark.postgres
def test_a_case_changed_meanwhile_is_refused_and_nothing_changes(client, login, users, cases):
    login("lead")
    table = Case.__table__

    done = []

    def someone_else_edits_first(session, flush_context, instances):
        if not done:  # once, between loading the cases and writing them
            done.append(True)
            with db.engine.begin() as other:
                other.execute(update(table).where(table.c.id == cases["elektro"].id)
                              .values(version=table.c.version + 1))

    event.listen(Session, "before_flush", someone_else_edits_first)
    try:
        response = client.post("/pipeline/reassign", data={
            "case_ids": [cases["elektro"].id, cases["baeckerei"].id], "new_owner": users["scout2"].id})
    finally:
        event.remove(Session, "before_flush", someone_else_edits_first)
    assert response.status_code == 409
    assert "Der Fall wurde inzwischen geändert." in response.get_data(as_text=True)
    _nothing_changed(cases, users)
    assert db.session.get(Case, cases["baeckerei"].id).owner_id == users["scout"].id


@pytest.mark.parametrize("role", ["scout", "admin"])
def test_only_the_lead_sees_and_uses_the_pipeline(client, login, users, cases, role):
    login(role)
    assert client.get("/pipeline").status_code == 403
    response = client.post("/pipeline/reassign", data={"case_ids": [cases["elektro"].id],
                                                       "new_owner": users["scout2"].id})
    assert response.status_code == 403
    _nothing_changed(cases, users)


def test_anonymous_is_sent_to_the_login(client):
    assert client.get("/pipeline").status_code == 302
    assert client.post("/pipeline/reassign").status_code == 302
