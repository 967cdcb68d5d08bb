"""The administrator maintains municipalities and postcodes: add, rename, postcodes shared by two
municipalities, and nothing deleted that a business uses (German messages, nothing half-saved)."""

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.auth.audit import AuditEntry
from app.extensions import db
from app.reference.models import Municipality, Postcode
from tests.factories import make_case


def town(name: str) -> Municipality | None:
    db.session.expire_all()
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def codes(name: str) -> list[str]:
    return sorted(p.code for p in town(name).postcodes)


def trail() -> list[tuple[str, str]]:
    return [(e.what, e.target) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_region_page_lists_every_municipality_with_its_postcodes(client, login):
    login("admin")
    page = client.get("/admin/municipalities").get_data(as_text=True)
    assert "Gelsenkirchen" in page and "45879" in page


def test_a_new_municipality_gets_postcodes_and_a_postcode_may_belong_to_two(client, login):
    login("admin")
    response = client.post("/admin/municipalities",
                           data={"name": " Neustadt  am  See ", "district": "Kreis Recklinghausen"})
    assert response.status_code == 302
    neustadt = town("Neustadt am See")
    assert neustadt.district == "Kreis Recklinghausen"
    assert client.post(f"/admin/municipalities/{neustadt.id}/postcodes", data={"code": "45879"}).status_code == 302
    assert client.post(f"/admin/municipalities/{neustadt.id}/postcodes", data={"code": " 45880 "}).status_code == 302
    assert codes("Neustadt am See") == ["45879", "45880"]
    assert "45879" in codes("Gelsenkirchen")  # still Gelsenkirchen's as well
    page = client.get(f"/admin/municipalities/{neustadt.id}").get_data(as_text=True)
    assert "auch in Gelsenkirchen" in page
    assert trail() == [("municipality.created", "Neustadt am See"), ("postcode.added", "45879 Neustadt am See"),
                       ("postcode.added", "45880 Neustadt am See")]


@pytest.mark.parametrize("code", ["4587", "458790", "45a79", "٤٥٨٧٩", "45 79", "-4587"])
def test_a_postcode_has_exactly_five_ascii_digits(client, login, code):
    login("admin")
    gelsenkirchen = town("Gelsenkirchen")
    before = codes("Gelsenkirchen")
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes", data={"code": code})
    assert response.status_code == 422
    assert "Eine Postleitzahl hat genau fünf Ziffern." in response.get_data(as_text=True)
    assert codes("Gelsenkirchen") == before and trail() == []


def test_a_postcode_twice_in_one_municipality_and_a_taken_name_are_refused(client, login):
    login("admin")
    gelsenkirchen = town("Gelsenkirchen")
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes", data={"code": "45879"})
    assert response.status_code == 422 and "45879 gehört bereits zu Gelsenkirchen." in response.get_data(as_text=True)
    response = client.post("/admin/municipalities", data={"name": "gelsenkirchen", "district": "x"})
    assert response.status_code == 422
    assert "Eine Gemeinde „gelsenkirchen“ gibt es bereits." in response.get_data(as_text=True)
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}", data={"name": "Gelsenkirchen", "district": ""})
    assert response.status_code == 422 and "Bitte geben Sie den Kreis ein." in response.get_data(as_text=True)
    assert town("Gelsenkirchen").district != "" and trail() == []


def test_renaming_keeps_the_postcodes_and_is_on_the_trail(client, login):
    login("admin")
    gelsenkirchen = town("Gelsenkirchen")
    before = codes("Gelsenkirchen")
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}",
                           data={"name": "Gelsenkirchen-Buer", "district": gelsenkirchen.district})
    assert response.status_code == 302
    assert codes("Gelsenkirchen-Buer") == before
    assert trail() == [("municipality.renamed", "Gelsenkirchen-Buer")]


def test_what_a_business_uses_is_not_deleted(client, login, users):
    case = make_case(users["scout"], postcode="45879")
    login("admin")
    gelsenkirchen = town("Gelsenkirchen")
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes/45879/remove", follow_redirects=True)
    assert "45879 kann nicht aus Gelsenkirchen entfernt werden: Betriebe dort haben diese Postleitzahl." in \
        response.get_data(as_text=True)
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}/delete", follow_redirects=True)
    assert "„Gelsenkirchen“ kann nicht gelöscht werden: Dort liegt 1 Betrieb." in response.get_data(as_text=True)
    assert "45879" in codes("Gelsenkirchen") and town("Gelsenkirchen") is not None
    assert trail() == []
    # A postcode the business does not have goes.
    other = next(code for code in codes("Gelsenkirchen") if code != case.business.postcode)
    client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes/{other}/remove")
    assert other not in codes("Gelsenkirchen")


def test_an_unused_municipality_is_deleted_with_its_postcodes(client, login):
    login("admin")
    client.post("/admin/municipalities", data={"name": "Leerdorf", "district": "Kreis Borken"})
    leerdorf = town("Leerdorf")
    client.post(f"/admin/municipalities/{leerdorf.id}/postcodes", data={"code": "46399"})
    response = client.post(f"/admin/municipalities/{leerdorf.id}/delete")
    assert response.status_code == 302
    assert town("Leerdorf") is None
    assert db.session.scalar(select(func.count()).select_from(Postcode).where(Postcode.code == "46399")) == 0
    assert trail()[-1] == ("municipality.deleted", "Leerdorf")


def test_removing_a_postcode_the_municipality_does_not_have_says_so(client, login):
    login("admin")
    gelsenkirchen = town("Gelsenkirchen")
    response = client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes/99999/remove", follow_redirects=True)
    assert "99999 gehört nicht zu Gelsenkirchen." in response.get_data(as_text=True)
    assert client.post(f"/admin/municipalities/{gelsenkirchen.id}/postcodes/4587x/remove").status_code == 404
    assert client.post("/admin/municipalities/99999999999999999999/delete").status_code == 404


@pytest.mark.postgres
def test_the_database_holds_a_postcode_in_two_municipalities_but_not_twice_in_one(app):
    gelsenkirchen, bottrop = town("Gelsenkirchen"), town("Bottrop")
    db.session.add(Postcode(code="45879", municipality_id=bottrop.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Postcode).where(Postcode.code == "45879")) == 2
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Postcode).values(code="45879", municipality_id=gelsenkirchen.id))
    db.session.rollback()
