"""The caseload search (app.cases.search) on both databases, narrow (business ids first) and broad (walk the order).

`broad` sets search.FEW to 0: every match makes the search broad, so each test runs both query forms.
"""

import pytest
from sqlalchemy import delete, select, text

from app.cases import queries, search, workflow
from app.cases.models import Business, Case
from app.cases.services import open_business_case
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.transactions import unit_of_work

pytestmark = pytest.mark.postgres


@pytest.fixture(params=["narrow", "broad"])
def form(request, monkeypatch) -> str:
    if request.param == "broad":
        monkeypatch.setattr(search, "FEW", 0)
    return request.param


def _business(name: str, town: str = "Gelsenkirchen", trade: str = "Tischler") -> Business:
    return Business(name=name, postcode="45879",
                    municipality_id=db.session.scalar(select(Municipality.id).where(Municipality.name == town)),
                    trade_id=db.session.scalar(select(Trade.id).where(Trade.name == trade)))


def _open(users, name: str, town: str = "Gelsenkirchen", trade: str = "Tischler") -> Business:
    business = _business(name, town, trade)
    with unit_of_work():
        open_business_case(business, users["scout"], users["scout"])
    return business


def _found(term: str, owner_id: int | None = None) -> set[str]:
    return {case.business.name for case in queries.caseload(owner_id, None, term, 1, 100).items}


def _fts_intact() -> None:
    """SQLite: the FTS5 index agrees with businesses (the triggers kept it in step)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO businesses_fts(businesses_fts) VALUES ('integrity-check')"))


def _other_town_and_trade() -> tuple[str, str]:
    town = db.session.scalar(select(Municipality.name).where(Municipality.name != "Gelsenkirchen").limit(1))
    trade = db.session.scalar(select(Trade.name).where(~Trade.name.contains("isch")).limit(1))
    return town, trade


def test_a_name_fragment_is_found_in_any_case_with_umlauts(app, users, form):
    _open(users, "Malerbetrieb Müller")
    _open(users, "Übelhör Sanitär")
    _open(users, "Bäckerei Overkamp")
    for term in ("Müller", "müller", "MÜLLER", "ller", " betrieb m "):
        assert _found(term) == {"Malerbetrieb Müller"}, term
    for term in ("übelhör", "ÜBELHÖR", "elhö"):
        assert _found(term) == {"Übelhör Sanitär"}, term
    assert _found("zzzq") == set()


def test_municipality_and_trade_are_found_by_a_part_of_their_name(app, users, form):
    town, trade = _other_town_and_trade()
    _open(users, "Elektro Kowalski", town=town, trade=trade)
    _open(users, "Bäckerei Overkamp")
    assert _found("gelsenk") == {"Bäckerei Overkamp"}
    assert _found("GELSENKIRCHEN") == {"Bäckerei Overkamp"}
    assert _found("tischl") == {"Bäckerei Overkamp"}
    assert _found(town[1:5].lower()) >= {"Elektro Kowalski"}
    assert _found(trade[1:5].upper()) >= {"Elektro Kowalski"}


def test_percent_and_underscore_are_literal(app, users, form):
    town, trade = _other_town_and_trade()
    for name in ("Bau 50% Rabatt", "Bau_Meister", "Bauxmeister", "Bau 500 Rabatt"):
        _open(users, name, town=town, trade=trade)
    assert _found("0% R") == {"Bau 50% Rabatt"}
    assert _found("%") == {"Bau 50% Rabatt"}
    assert _found("u_m") == {"Bau_Meister"}
    assert _found("_") == {"Bau_Meister"}
    assert _found("\\") == set()


def test_a_term_of_one_or_two_letters_searches_too(app, users, form):
    town, trade = _other_town_and_trade()
    _open(users, "Malerbetrieb Müller", town=town, trade=trade)
    _open(users, "Bäckerei Overkamp", town=town, trade=trade)
    assert _found("ül") == {"Malerbetrieb Müller"}
    assert _found("äc") == {"Bäckerei Overkamp"}
    assert _found("qq") == set()


def test_a_renamed_business_is_found_by_its_new_name_only(app, users, form):
    business = _open(users, "Tischlerei Altname")
    with unit_of_work():
        business.name = "Schreinerei Neuname"
    assert _found("Neuname") == {"Schreinerei Neuname"}
    assert _found("Altname") == set()
    _fts_intact()


def test_a_deleted_business_is_not_found(app, users, form):
    with unit_of_work():
        db.session.add(kept := _business("Fliesen Bleibt"))
        db.session.add(gone := _business("Fliesen Verschwindet"))
    assert set(search.resolve(db.session, "Fliesen").name_ids or [gone.id, kept.id]) == {gone.id, kept.id}
    with unit_of_work():
        db.session.execute(delete(Business).where(Business.id == gone.id))
    found = search.resolve(db.session, "Fliesen")
    if found.narrow:
        assert found.business_ids == {kept.id}
    else:  # broad: the name condition itself must not match the deleted row's name any more
        assert db.session.scalars(select(Business.id).where(search.name_condition(db.session, "Fliesen"))).all() \
            == [kept.id]
    assert search.resolve(db.session, "Verschwindet").business_ids == set()
    _fts_intact()


def test_the_count_is_capped(app, users, form, monkeypatch):
    for i in range(4):
        _open(users, f"Dachdeckerei Treffer {i}")
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    page = queries.caseload(None, None, "Treffer", 1, 25)
    assert (page.capped, page.total, len(page.items)) == (True, 3, 4)
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 1000)
    page = queries.caseload(users["scout"].id, None, "Treffer", 1, 25)
    assert (page.capped, page.total, len(page.items)) == (False, 4, 4)
    assert queries.caseload(users["scout2"].id, None, "Treffer", 1, 25).total == 0


def test_the_status_chips_count_the_search_and_the_page_says_how_many(app, users, form, client, login):
    for name in ("Dachdeckerei Treffer", "Tischlerei Treffer", "Bäckerei Anders"):
        _open(users, name)
    with unit_of_work():
        case = db.session.scalar(select(Case).join(Case.business).where(Business.name == "Tischlerei Treffer"))
        workflow.move(case, "withdrawn", users["scout"], reason="Kein Interesse")
    login("scout")
    page = client.get("/cases?q=Treffer").get_data(as_text=True)
    assert ">Alle: 2</a>" in page and ">Kontakt aufgenommen: 1</a>" in page and ">Zurückgezogen: 1</a>" in page
    assert "2 Treffer." in page
    page = client.get("/cases?q=Treffer&state=withdrawn").get_data(as_text=True)
    assert "1 Treffer." in page and "Tischlerei Treffer" in page and "Dachdeckerei" not in page
    page = client.get("/cases").get_data(as_text=True)
    assert ">Alle: 3</a>" in page and ">Kontakt aufgenommen: 2</a>" in page and "3 Fälle" in page


def test_a_search_beyond_the_cap_names_no_per_state_numbers(app, users, form, client, login, monkeypatch):
    for i in range(4):
        _open(users, f"Dachdeckerei Treffer {i}")
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    page = queries.caseload(None, None, "Treffer", 1, 25)
    assert (page.capped, page.counts_capped, page.total) == (True, True, 3)
    assert queries.caseload(None, "contacted", "Treffer", 1, 25).capped
    assert (queries.caseload(None, "withdrawn", "Treffer", 1, 25).total, page.counts) == (0, {"contacted": 3})
