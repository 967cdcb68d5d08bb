"""Consent as records: the business form writes them, withdrawing closes them, the case page shows the history."""

from urllib.parse import urlsplit

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.cases import services
from app.cases.consents import Consent
from app.cases.models import Business
from app.extensions import db
from app.scheduling import links
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.privacy.seeding import CONTACT, NAME, new_business, values


def _form(**changes) -> dict:
    data = {key: value for key, value in values(**changes).items() if value is not None}
    data["email_consent"] = "y" if data.pop("email_consent") else None
    return {key: value for key, value in data.items() if value is not None}


def test_the_form_records_consent_and_withdrawal_and_the_case_page_shows_the_history(app, client, login, users):
    login("scout")
    response = client.post("/businesses/new", data=_form() | {"owner_id": users["scout"].id})
    assert response.status_code == 302
    business = db.session.scalar(select(Business).where(Business.name == NAME))
    [consent] = db.session.scalars(select(Consent).where(Consent.business_id == business.id)).all()
    assert (consent.purpose, consent.source, consent.note, consent.text_version, consent.recorded_by_id) == (
        "email", "form", f"Telefonat mit {CONTACT}", app.config["CONSENT_TEXT_VERSION"], users["scout"].id)
    assert consent.withdrawn_at is None and business.consent_at == consent.granted_at

    edited = client.post(f"/businesses/{business.id}/edit", data=_form(email_consent=False))
    assert edited.status_code == 302
    db.session.refresh(consent)
    assert consent.withdrawn_at is not None and consent.withdrawn_by_id == users["scout"].id
    assert db.session.get(Business, business.id).email_consent is False

    client.post(f"/businesses/{business.id}/edit", data=_form(consent_source="Besuch vor Ort"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Einwilligungen" in page
    assert page.count("E-Mails aus dem Programm") == 2  # granted, withdrawn, granted again: two records
    assert "widerrufen am" in page and "Besuch vor Ort" in page
    assert "Datenschutz: Auskunft oder Anonymisierung" not in page  # a scout has no data-protection page


def test_saving_unchanged_consent_writes_no_new_record(app, users):
    case = new_business(users["scout"])
    with unit_of_work():
        services.update_business(case.business, values(employees=13), users["scout"])
    assert db.session.scalar(select(db.func.count()).select_from(Consent)) == 1


@pytest.mark.postgres
def test_the_migration_makes_records_of_the_consents_on_file(app, users):
    business_id = make_case(users["scout"]).business_id
    make_case(users["scout"], name="Ohne Einwilligung")
    db.session.commit()
    db.session.remove()
    downgrade(revision="f2e3d4c5b6a7")
    db.session.execute(text("UPDATE businesses SET email_consent = true, consent_at = '2026-03-01 10:00:00.000000',"
                            " consent_source = 'Messe' WHERE id = :id"), {"id": business_id})
    db.session.commit()
    upgrade()
    rows = db.session.execute(select(Consent.business_id, Consent.source, Consent.note, Consent.purpose)).all()
    assert rows == [(business_id, "backfill", "Messe", "email")]


def test_the_unsubscribe_link_marks_the_consent_record_withdrawn(app, client, users):
    case = new_business(users["scout"])
    url = links.make_url("unsubscribe", business_id=case.business_id)
    response = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    consent = db.session.scalar(select(Consent))
    assert consent.withdrawn_at is not None and consent.withdrawn_by_id is None
