"""An import's dry-run rows name businesses: the export of one gives its rows only, its erasure deletes them only."""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.imports.models import PreviewRow
from app.privacy import erasure
from app.privacy.export import export
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.privacy.seeding import add_import_preview

pytestmark = pytest.mark.postgres


def test_the_preview_rows_of_a_business_are_exported_and_erased_and_no_others(app, users):
    lead: User = users["lead"]
    brinkmann = make_case(lead, name="Tischlerei Brinkmann").business_id
    meyer = make_case(lead, name="Malerei Meyer", postcode="45881").business_id
    with unit_of_work():
        add_import_preview(lead, [("Tischlerei Brinkmann", None, "45879"), ("Malerei Meyer", "12345", "45881"),
                                  ("Tischlerei Brinkmann", None, "48143")])  # the same name elsewhere
    section = next(s for s in export(brinkmann)["sections"] if s["table"] == "import_preview_rows")
    assert [(row["name"], row["postcode"]) for row in section["rows"]] == [("Tischlerei Brinkmann", "45879")]
    assert section["label"] == "Vorschauen von Importen"
    with unit_of_work():
        erasure.erase([meyer], lead, reason="request")
    assert db.session.scalars(select(PreviewRow.postcode).order_by(PreviewRow.line)).all() == ["45879", "48143"]
