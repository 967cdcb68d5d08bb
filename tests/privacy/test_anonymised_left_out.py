"""An anonymised business carries businesses.anonymised_at, and nobody picks or matches it again: the duplicate
warning, the workshop's walk-in search, the import (a re-import brings nothing back into the anonymised row); and
nobody writes personal data into it again (the business form, a consent)."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from app.cases import consents, services
from app.cases.consents import Consent
from app.cases.models import Business, CaseEvent
from app.errors import DomainError
from app.extensions import db
from app.privacy import erasure
from app.privacy.models import PrivacyLog
from app.privacy.tables import ANONYMOUS_NAME
from app.reference.models import Municipality, Trade
from app.transactions import unit_of_work
from app.workshops import services as workshops
from tests.factories import add_workshop, make_case
from tests.imports.register import register_rows, write_csv
from tests.imports.test_importer import _import as import_file

pytestmark = pytest.mark.postgres


def _erase(business_id: int, actor) -> None:
    with unit_of_work():
        erasure.erase([business_id], actor, reason="request")


def test_the_duplicate_warning_and_the_walk_in_search_leave_an_anonymised_business_out(app, users):
    erased = make_case(users["scout"], name="Malerbetrieb Gelöscht")
    kept = make_case(users["scout"], name="Malerbetrieb Kunz")
    _erase(erased.business_id, users["lead"])
    assert services.similar_businesses(ANONYMOUS_NAME, "") == []
    workshop = add_workshop()
    found = workshops.walk_in_matches(workshop.id, "betrieb")
    assert [row.case_id for row in found] == [kept.id]


def test_reimporting_the_register_after_an_erasure_brings_nothing_back_into_the_anonymised_row(app, users, tmp_path):
    rows = register_rows(3)
    path = write_csv(tmp_path / "rolle.csv", rows)
    import_file(path)
    erased_id = db.session.scalar(select(Business.id).where(Business.register_number == rows[0][0]))
    _erase(erased_id, users["lead"])
    anonymised = db.session.execute(select(Business.__table__).where(Business.id == erased_id)).one()
    totals, _outcomes = import_file(path, update=True)
    assert (totals.created, totals.updated, totals.unchanged) == (1, 0, 2)
    assert db.session.execute(select(Business.__table__).where(Business.id == erased_id)).one() == anonymised
    assert (anonymised.name, anonymised.register_number, anonymised.street) == (ANONYMOUS_NAME, None, "")
    # The register's row is a business of its own again, not the anonymised one.
    assert db.session.scalar(select(Business.id).where(Business.register_number == rows[0][0])) != erased_id


def test_the_migration_marks_the_businesses_the_privacy_log_says_were_erased(app, users):
    erased_id = make_case(users["scout"], name="Früher gelöscht").business_id
    kept_id = make_case(users["scout"], name="Nie gelöscht").business_id
    _erase(erased_id, users["lead"])
    db.session.commit()
    db.session.remove()
    downgrade(revision="1a2b3c4d5e6f")
    upgrade()
    logged = db.session.scalar(select(PrivacyLog.created_at).where(PrivacyLog.business_id == erased_id))
    marked = dict(db.session.execute(select(Business.id, Business.anonymised_at)).all())
    assert (marked[erased_id], marked[kept_id]) == (logged, None)


def test_an_anonymised_business_cannot_be_edited_nor_given_a_consent(app, client, login, users):
    case = make_case(users["scout"], name="Malerbetrieb Gelöscht")
    _erase(case.business_id, users["lead"])
    anonymised = db.session.execute(select(Business.__table__).where(Business.id == case.business_id)).one()
    events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    login("scout")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Daten des Betriebs bearbeiten" not in page and f"/businesses/{case.business_id}/edit" not in page

    refused = "Dieser Betrieb wurde anonymisiert: Seine Daten können nicht mehr geändert werden."
    shown = client.get(f"/businesses/{case.business_id}/edit", follow_redirects=True)
    assert shown.request.path == f"/cases/{case.id}" and refused in shown.get_data(as_text=True)
    posted = client.post(f"/businesses/{case.business_id}/edit", data=_business_form(), follow_redirects=True)
    assert posted.request.path == f"/cases/{case.id}" and refused in posted.get_data(as_text=True)

    with pytest.raises(DomainError, match="anonymisiert"):  # the rule lives in the services, not the view
        services.update_business(db.session.get(Business, case.business_id), _business_form(), users["scout"])
    with pytest.raises(DomainError, match="anonymisiert"):
        consents.grant(db.session.get(Business, case.business_id), consents.Purpose.EMAIL,
                       consents.Source.FORM, users["scout"], "am Telefon")
    db.session.rollback()
    assert db.session.execute(select(Business.__table__).where(Business.id == case.business_id)).one() == anonymised
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)) == events
    assert db.session.scalar(select(func.count()).select_from(Consent)
                             .where(Consent.business_id == case.business_id)) == 0


def _business_form() -> dict:
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    return {"name": "Malerbetrieb Gelöscht", "trade_id": trade.id, "register_number": "", "street": "Am Ring 3",
            "postcode": "45879", "municipality_id": town.id, "contact_name": "Ute Maler", "phone": "0209 1234",
            "email": "ute@maler.example.org", "employees": 4, "email_consent": "y", "consent_source": "Telefonat"}
