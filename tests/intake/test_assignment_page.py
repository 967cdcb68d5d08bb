"""The lead's page of which scout takes the public requests of each municipality: one save for all rows, only
active scouts, nothing half-saved, on the audit trail; a disabled scout's municipalities show as automatic."""

import re

import pytest
from sqlalchemy import select

from app.auth.audit import AuditEntry
from app.cases.models import Case
from app.extensions import db
from app.intake import assignment
from app.intake.models import CheckRequest, IntakeAssignment
from app.reference.models import Municipality
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.intake.conftest import confirm_path, latest_request, send

PAGE = "/intake/assignments"
AUTOMATIC = "— automatisch (wenigste offene Fälle) —"


def town_id(name: str) -> int:
    return db.session.scalar(select(Municipality.id).where(Municipality.name == name))


def stored() -> dict[str, int]:
    """Municipality name -> the scout id stored for it."""
    db.session.expire_all()
    return dict(db.session.execute(select(Municipality.name, IntakeAssignment.scout_id).join(IntakeAssignment)).all())


def trail() -> list[tuple[str, str, dict]]:
    return [(e.what, e.target, e.details) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def select_of(page: str, name: str) -> str:
    """The select of one municipality's row, as the browser gets it."""
    return re.search(rf'<select id="scout-{town_id(name)}".*?</select>', page, re.S).group(0)


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_the_lead_and_the_admin_see_every_municipality_with_a_select_of_the_active_scouts(client, login, users, who):
    users["scout2"].active = False
    db.session.commit()
    login(who)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Zuständige Scouts für Online-Anfragen</h1>" in page
    assert 'aria-current="page">Anfragen-Zuordnung</a>' in page  # the navigation marks where the lead is
    towns = db.session.scalars(select(Municipality.name).order_by(Municipality.name)).all()
    assert re.findall(r'<th scope="row">([^<]+)</th>', page) == towns
    gelsenkirchen = select_of(page, "Gelsenkirchen")
    assert f'<option value="">{AUTOMATIC}</option>' in gelsenkirchen and "selected" not in gelsenkirchen
    assert f'<option value="{users["scout"].id}">Sina Scout</option>' in gelsenkirchen
    assert "Sven Scout" not in gelsenkirchen and "Lena Leitung" not in gelsenkirchen  # disabled, no scout
    assert '<label for="scout-' in page and "Scout für Gelsenkirchen" in page


def test_the_pipeline_links_to_the_page_without_marking_it(client, login):
    login("lead")
    page = client.get("/pipeline").get_data(as_text=True)
    assert f'<li><a href="{PAGE}" >Anfragen-Zuordnung</a></li>' in page


@pytest.mark.postgres  # the page's outer joins and the assignment's aggregate
def test_the_lead_saves_all_rows_at_once_and_a_request_from_there_goes_to_that_scout(app, client, login, users):
    for _ in range(2):
        make_case(users["scout"])  # Sina is the busier scout: only the assignment sends the request to her
    login("lead")
    response = client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": str(users["scout"].id),
                                       f"scout-{town_id('Recklinghausen')}": str(users["scout2"].id),
                                       f"scout-{town_id('Datteln')}": ""})
    assert response.status_code == 302
    assert stored() == {"Gelsenkirchen": users["scout"].id, "Recklinghausen": users["scout2"].id}
    assert trail() == [("intake.assigned", "Gelsenkirchen", {"scout": ["automatisch", "Sina Scout"]}),
                       ("intake.assigned", "Recklinghausen", {"scout": ["automatisch", "Sven Scout"]})]
    page = client.get(PAGE).get_data(as_text=True)
    assert "Die Zuordnungen von 2 Gemeinden sind gespeichert." in page
    assert f'<option value="{users["scout"].id}" selected>Sina Scout</option>' in select_of(page, "Gelsenkirchen")

    business = app.test_client()  # the public page, from a business in Gelsenkirchen (45879)
    assert send(business).status_code == 302
    request = latest_request()
    assert business.post(confirm_path(request)).status_code == 200
    db.session.expire_all()
    case = db.session.get(Case, db.session.get(CheckRequest, request.id).case_id)
    assert case.owner_id == users["scout"].id

    response = client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": "",
                                       f"scout-{town_id('Recklinghausen')}": str(users["scout2"].id)})
    assert response.status_code == 302 and stored() == {"Recklinghausen": users["scout2"].id}
    assert trail()[-1] == ("intake.assigned", "Gelsenkirchen", {"scout": ["Sina Scout", "automatisch"]})
    assert "Die Zuordnung von 1 Gemeinde ist gespeichert." in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("scout-999999", "", "Die Gemeinde Nr. 999999 gibt es nicht (mehr)."),
    ("scout-Gelsenkirchen", "", "Die Gemeinde Nr. 0 gibt es nicht (mehr)."),
    ("Recklinghausen", "lead", "Nur ein aktiver Prozessscout kann die Anfragen einer Gemeinde übernehmen."),
    ("Recklinghausen", "disabled", "Nur ein aktiver Prozessscout kann die Anfragen einer Gemeinde übernehmen."),
    ("Recklinghausen", "Sven", "Nur ein aktiver Prozessscout kann die Anfragen einer Gemeinde übernehmen."),
])
def test_unknown_municipalities_and_anyone_but_an_active_scout_are_refused_with_nothing_saved(
        client, login, users, key, value, message):
    users["scout2"].active = False
    db.session.commit()
    ids = {"lead": users["lead"].id, "disabled": users["scout2"].id}
    if key == "Recklinghausen":
        key = f"scout-{town_id(key)}"
    login("lead")
    response = client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": str(users["scout"].id),
                                       key: str(ids.get(value, value))})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    # The lead's other choice is still on the page, but nothing is stored.
    assert f'<option value="{users["scout"].id}" selected>Sina Scout</option>' in select_of(page, "Gelsenkirchen")
    assert stored() == {} and trail() == []


def test_a_disabled_scouts_municipality_shows_as_automatic_and_saving_removes_it(client, login, users):
    with unit_of_work():
        assignment.assign(town_id("Gelsenkirchen"), users["scout"])
    users["scout"].active = False  # what the admin's "disable account" does: the row stays, the rule passes it over
    db.session.commit()
    assert assignment.configured_scout(town_id("Gelsenkirchen")) is None
    login("lead")
    page = client.get(PAGE).get_data(as_text=True)
    assert ("Sina Scout ist kein aktiver Scout mehr: Die Anfragen werden automatisch zugeordnet. "
            "Beim Speichern wird die Zuordnung entfernt.") in page
    gelsenkirchen = select_of(page, "Gelsenkirchen")
    assert "Sina Scout" not in gelsenkirchen and "selected" not in gelsenkirchen
    response = client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": ""})
    assert response.status_code == 302 and stored() == {}
    assert trail()[-1] == ("intake.assigned", "Gelsenkirchen", {"scout": ["Sina Scout (inaktiv)", "automatisch"]})


def test_a_save_that_changes_nothing_says_so_and_records_nothing(client, login):
    login("lead")
    response = client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": ""}, follow_redirects=True)
    assert "Es wurde nichts geändert." in response.get_data(as_text=True)
    assert stored() == {} and trail() == []


@pytest.mark.parametrize(("who", "status"), [("scout", 403), ("scout2", 403)])
def test_scouts_may_neither_see_nor_save_the_assignments(client, login, users, who, status):
    login(who)
    assert client.get(PAGE).status_code == status
    assert client.post(PAGE, data={f"scout-{town_id('Gelsenkirchen')}": str(users[who].id)}).status_code == status
    assert stored() == {}
