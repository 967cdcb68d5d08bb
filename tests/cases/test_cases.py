"""Caseload, case page, notes, moves over HTTP, and the business form's validation."""

import pytest
from sqlalchemy import func, select

from app.cases import workflow
from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.reference.models import Municipality, Postcode, Trade
from app.scheduling.rules import seed_default_rules
from tests.factories import add_check, bring_to, make_case


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_caseload_shows_only_my_cases_with_counts_per_state(client, login, users):
    bring_to(make_case(users["scout"], "Elektro Kowalski GmbH"), "check_done", users["scout"])
    make_case(users["scout"], "Bäckerei Overkamp")
    make_case(users["scout2"], "Dachdeckerei Schulte")
    login("scout")
    page = client.get("/cases").get_data(as_text=True)
    assert "Elektro Kowalski GmbH" in page and "Bäckerei Overkamp" in page
    assert "Dachdeckerei Schulte" not in page
    assert "Alle: 2" in page and "Check durchgeführt: 1" in page and "Kontakt aufgenommen: 1" in page


@pytest.mark.postgres
def test_caseload_filters_by_state_and_searches_name_municipality_and_trade(client, login, users):
    bring_to(make_case(users["scout"], "Elektro Kowalski GmbH"), "check_done", users["scout"])
    make_case(users["scout"], "Bäckerei Overkamp")
    login("scout")
    by_state = client.get("/cases?state=check_done").get_data(as_text=True)
    assert "Elektro Kowalski GmbH" in by_state and "Bäckerei Overkamp" not in by_state
    assert "Overkamp" in client.get("/cases?q=overk").get_data(as_text=True)
    assert "Overkamp" in client.get("/cases?q=gelsenk").get_data(as_text=True)
    assert "Overkamp" in client.get("/cases?q=tischl").get_data(as_text=True)
    assert "Keine passenden Fälle" in client.get("/cases?q=zzz").get_data(as_text=True)


def test_caseload_is_paginated(client, login, users):
    for i in range(30):
        make_case(users["scout"], f"Betrieb {i:02d}")
    login("scout")
    first = client.get("/cases").get_data(as_text=True)
    assert "Seite 1 von 2" in first and first.count("/cases/") >= 25
    assert "Seite 2 von 2" in client.get("/cases?page=2").get_data(as_text=True)


def test_case_page_shows_business_moves_and_why_others_are_not_possible(client, login, users):
    case = make_case(users["scout"], "Elektro Kowalski GmbH")
    login("scout")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Elektro Kowalski GmbH" in page and "Tischler" in page and "Gelsenkirchen" in page
    assert "Es liegt noch kein abgeschlossener Digitalisierungscheck vor" in page
    assert "Zurückziehen" in page and "Fall eröffnet" in page


def test_note_lands_on_the_timeline_newest_first(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    client.post(f"/cases/{case.id}/notes", data={"channel": "call", "text": "Termin für Check vereinbart"})
    client.post(f"/cases/{case.id}/notes", data={"channel": "visit", "text": "Werkstatt besichtigt"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.index("Werkstatt besichtigt") < page.index("Termin für Check vereinbart")
    assert "(Telefonat)" in page and "(Besuch)" in page


def test_empty_note_is_refused_and_nothing_saved(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    before = _count(CaseEvent)
    response = client.post(f"/cases/{case.id}/notes", data={"channel": "call", "text": "  "})
    assert response.status_code == 422 and "Bitte schreiben Sie die Notiz." in response.get_data(as_text=True)
    assert _count(CaseEvent) == before


def test_move_over_http_with_its_guard_satisfied(client, login, users):
    case = make_case(users["scout"])
    add_check(case)
    login("scout")
    response = client.post(f"/cases/{case.id}/move", data={"target": "check_done", "version": case.version},
                           follow_redirects=True)
    assert "Der Fall steht jetzt auf „Check durchgeführt“" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).state == "check_done"


def test_refused_move_shows_the_guard_message_and_changes_nothing(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/move", data={"target": "check_done", "version": case.version})
    assert response.status_code == 422
    assert "kein abgeschlossener Digitalisierungscheck" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).state == "contacted"


@pytest.mark.postgres
def test_second_person_moving_from_a_stale_page_gets_reload_message_and_nothing_is_lost(app, client, login, users):
    case = make_case(users["scout"])
    add_check(case)
    page_version = case.version  # both opened the case page at this version
    lead = app.test_client()
    login("lead", on=lead)
    lead.post(f"/cases/{case.id}/move", data={"target": "check_done", "version": page_version})
    login("scout")
    response = client.post(f"/cases/{case.id}/move",
                           data={"target": "withdrawn", "version": page_version, "reason": "Kein Bedarf"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Der Fall wurde inzwischen geändert. Bitte laden Sie die Seite neu" in body
    assert "Kein Bedarf" in body  # what the scout typed is still in the form
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "check_done"
    moves = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "moved"))
    assert [(m.from_state, m.to_state) for m in moves] == [("contacted", "check_done")]


def _business_data(**changes):
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Bottrop"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Elektrotechniker"))
    data = {"name": "Elektro Kowalski GmbH", "trade_id": trade.id, "register_number": "123456",
            "street": "Hauptstraße 1", "postcode": "46236", "municipality_id": town.id,
            "contact_name": "Piotr Kowalski", "phone": "02041 0123-45", "email": "info@kowalski.example.org",
            "employees": "8", "email_consent": "y", "consent_source": "Erstgespräch am Telefon"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_new_business_opens_a_case_owned_by_the_scout(client, login, users):
    login("scout")
    response = client.post("/businesses/new", data=_business_data(owner_id=users["scout"].id))
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.state == "contacted" and case.owner_id == users["scout"].id
    assert case.business.email_consent and case.business.consent_at is not None


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Bitte geben Sie den Namen des Betriebs ein."),
    ({"postcode": "4523"}, "Eine Postleitzahl hat genau fünf Ziffern."),
    ({"postcode": "45879"}, "Die Postleitzahl 45879 gehört nicht zur gewählten Kommune."),
    ({"email": "kein-at-zeichen"}, "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
    ({"register_number": "AB-12"}, "Die Handwerksrollennummer hat nicht das richtige Format"),
    ({"consent_source": ""}, "Bitte halten Sie fest, wie der Betrieb eingewilligt hat."),
    ({"email": ""}, "Für die E-Mail-Einwilligung wird eine E-Mail-Adresse benötigt."),
    ({"employees": "-3"}, "Bitte geben Sie eine Zahl ab 0 ein."),
    ({"phone": "ruf mich an"}, "Bitte geben Sie eine Telefonnummer nur mit Ziffern ein"),
    ({"trade_id": "0"}, "Bitte wählen Sie das Gewerk."),
])
def test_bad_business_input_gets_a_german_message_and_nothing_is_saved(client, login, changes, message):
    login("scout")
    response = client.post("/businesses/new", data=_business_data(**changes))
    assert message in response.get_data(as_text=True)
    assert _count(Business) == 0 and _count(Case) == 0 and _count(CaseEvent) == 0


@pytest.mark.postgres
def test_duplicate_business_is_warned_about_and_saved_only_when_confirmed(client, login):
    login("scout")
    client.post("/businesses/new", data=_business_data())
    warned = client.post("/businesses/new", data=_business_data(name=" elektro kowalski gmbh ", register_number=""))
    page = warned.get_data(as_text=True)
    assert "Ein Betrieb mit diesem Namen und dieser Postleitzahl ist bereits erfasst" in page
    first = db.session.scalar(select(Case.id))
    assert f'<a href="/cases/{first}">Elektro Kowalski GmbH</a>, 46236 Bottrop' in page  # the existing one, linked
    assert _count(Business) == 1
    client.post("/businesses/new", data=_business_data(name="Elektro Kowalski GmbH", register_number="",
                                                       confirm_duplicate="y"))
    assert _count(Business) == 2


def test_a_register_number_that_exists_is_refused_with_a_link_to_its_business(client, login, users):
    login("scout")
    client.post("/businesses/new", data=_business_data())
    first = db.session.scalar(select(Case.id))
    refused = client.post("/businesses/new", data=_business_data(name="Kowalski Elektro", postcode="46236",
                                                                 register_number=" 123456 ", confirm_duplicate="y"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Diese Handwerksrollennummer hat bereits ein anderer Betrieb." in page
    assert f'<a href="/cases/{first}">Elektro Kowalski GmbH</a>, 46236 Bottrop' in page
    assert _count(Business) == 1 and _count(Case) == 1
    other = make_case(users["scout"], "Tischlerei Brinkmann")
    edited = client.post(f"/businesses/{other.business_id}/edit", data=_business_data(name="Tischlerei Brinkmann"))
    assert edited.status_code == 422 and "Diese Handwerksrollennummer hat bereits" in edited.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Business, other.business_id).register_number is None
    # Its own number is no duplicate of itself.
    first_business = db.session.scalar(select(Business.id).where(Business.name == "Elektro Kowalski GmbH"))
    assert client.post(f"/businesses/{first_business}/edit", data=_business_data(phone="02041 99")).status_code == 302


def test_the_municipality_follows_the_postcode_unless_the_postcode_spans_two(client, login):
    login("scout")
    form = client.get("/businesses/new").get_data(as_text=True)
    assert 'data-postcodes="{' in form and "&#34;46236&#34;: [" in form  # for procheck.js
    bottrop = db.session.scalar(select(Municipality).where(Municipality.name == "Bottrop"))
    assert client.post("/businesses/new", data=_business_data(municipality_id="0")).status_code == 302
    assert db.session.scalar(select(Business.municipality_id)) == bottrop.id
    gladbeck = db.session.scalar(select(Municipality).where(Municipality.name == "Gladbeck"))
    db.session.add(Postcode(code="46236", municipality_id=gladbeck.id))  # the postcode spans two towns now
    db.session.commit()
    unsure = client.post("/businesses/new", data=_business_data(name="Zweiter Betrieb", register_number="",
                                                                municipality_id="0"))
    assert unsure.status_code == 422 and "Bitte wählen Sie die Kommune." in unsure.get_data(as_text=True)
    chosen = _business_data(name="Zweiter Betrieb", register_number="", municipality_id=gladbeck.id)
    assert client.post("/businesses/new", data=chosen).status_code == 302


def test_editing_a_business_is_noted_on_the_timeline(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    data = _business_data(name="Tischlerei Brinkmann & Sohn")
    client.post(f"/businesses/{case.business_id}/edit", data=data)
    db.session.expire_all()
    assert db.session.get(Business, case.business_id).name == "Tischlerei Brinkmann & Sohn"
    assert "Daten des Betriebs geändert" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_help_page_shows_the_generated_state_machine(client, login):
    login("scout")
    page = client.get("/help").get_data(as_text=True)
    assert "<svg" in page and "ein abgeschlossener Check" in page and "Teamleitung" in page


def test_help_page_is_written_for_scouts_with_the_rules_that_run_automatically(client, login):
    seed_default_rules()
    db.session.commit()
    login("scout")
    page = client.get("/help").get_data(as_text=True)
    assert "Hilfe für Prozessscouts" in page and "Ihr Tag" in page and "Was automatisch passiert" in page
    assert "Zustandsmaschine" not in page and "erzeugt" not in page
    assert "nach 15 Werktagen: Workshop oder Vermittlung anbieten" in page  # from the rules, not hard-wired
    assert 'aria-current="page">Hilfe</a>' in page


def test_the_diagram_draws_every_withdraw_move_and_fits_long_labels_in_their_boxes():
    from app.cases import diagram

    picture = diagram.svg()
    withdraws = [m for m in workflow.MOVES if m.kind == "withdraw"]
    assert picture.count('marker-end="url(#arrow-withdraw)"') == len(withdraws) == 5
    assert picture.count('marker-end="url(#arrow-reopen)"') == 1
    assert ">Kontakt</tspan>" in picture or ">Contacted</tspan>" in picture  # two words break into two lines
    longest = max(len(part) for s in workflow.STATES for part in str(workflow.state_label(s)).split(" ", 1))
    assert longest * diagram.FONT * 0.6 < diagram.BOX_W  # a generous average glyph width still fits


def test_readme_shows_the_current_state_machine(app):
    """The README's diagram is generated from workflow.MOVES; regenerate it when the table changes."""
    from pathlib import Path

    from app.cases import diagram

    with app.test_request_context():
        expected = diagram.mermaid()
    assert expected in (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
