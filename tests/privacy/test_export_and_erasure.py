"""Art. 15 and Art. 17, proven by scanning every table of the database (SQLite and PostgreSQL) for the seeded values."""

import json
import threading
from dataclasses import fields
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.cases.models import Business, Case
from app.errors import DomainError
from app.extensions import db
from app.privacy import erasure
from app.privacy.models import PrivacyLog
from app.reports import milestones
from app.reports.funder import funder_report
from app.reports.period import Period
from app.scheduling import links
from app.scheduling.models import LinkNonce, OutboxMessage
from app.timeutil import today_berlin
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.privacy.seeding import DISTINCTIVE, IDENTIFYING, NAME, scan, seed_everywhere

pytestmark = pytest.mark.postgres


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value] if isinstance(value, str) else []


def _figures() -> dict:
    year = today_berlin().year
    report = funder_report(Period(today_berlin().replace(year=year - 1), today_berlin().replace(year=year + 1)))
    return {f.name: getattr(report, f.name) for f in fields(report) if f.name != "generated_at"}


@pytest.fixture
def seeded(app, users, smtp_server):
    case = seed_everywhere(users["scout"], smtp_server)
    other = make_case(users["scout"], name="Tischlerei Brinkmann")
    return case.business_id, other.business_id


def test_the_export_holds_every_value_the_database_holds_about_the_business(app, client, login, seeded):
    business_id, _other = seeded
    found = scan(DISTINCTIVE)
    tables = {table for table, _c, _t in found}
    # The seed did reach the places the issue names.
    assert {"businesses", "consents", "case_events", "measures", "referrals", "outbox", "reminders",
            "case_milestones"} <= tables
    login("lead")
    response = client.get(f"/businesses/{business_id}/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = "\n".join(_leaves(json.loads(response.get_data(as_text=True))))
    folded = [needle.casefold() for needle in DISTINCTIVE]
    missing = [(table, column, line) for table, column, text in found for line in text.splitlines()
               if any(n in line.casefold() for n in folded) and line not in exported
               and not table.startswith("businesses_fts")]  # the search index mirrors businesses.name
    assert missing == []
    page = client.get(f"/businesses/{business_id}/export")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Auskunft über gespeicherte Daten", NAME, "Verlauf", "E-Mails", "Einwilligungen", "Ansprechperson"):
        assert text in html
    assert db.session.scalar(select(PrivacyLog.action).where(PrivacyLog.business_id == business_id)) == "exported"


def test_after_erasure_no_column_holds_the_business_and_the_funder_figures_stay(app, client, login, users, seeded):
    business_id, other_id = seeded
    case_ids = db.session.scalars(select(Case.id).where(Case.business_id == business_id)).all()
    with unit_of_work():  # a self-check link the business still holds
        links.new_nonce("self_check", case_id=case_ids[0])
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.case_id.in_(case_ids), OutboxMessage.status == "pending")) > 0
    before = _figures()
    assert before["supported"] >= 1
    login("lead")
    page = client.get(f"/businesses/{business_id}/privacy")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    refused = client.post(f"/businesses/{business_id}/erase", data={"confirmation": "Zörbelwerk"})
    assert refused.status_code == 422
    assert "Bitte geben Sie den Namen des Betriebs genau so ein" in refused.get_data(as_text=True)
    assert scan([NAME])  # nothing changed
    response = client.post(f"/businesses/{business_id}/erase", data={"confirmation": f"  {NAME.lower()} "})
    assert response.status_code == 302
    assert scan(IDENTIFYING) == []
    assert _figures() == before
    # Nothing more goes to the business: its queued mails are cancelled, its links used up.
    assert db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.audience == "business")
                              .where(OutboxMessage.case_id.in_(case_ids))).all().count("pending") == 0
    assert db.session.scalar(select(func.count()).select_from(LinkNonce).where(LinkNonce.used_at.is_(None))) == 0
    # The funnel's incremental cells still equal a rebuild from the anonymised timeline.
    cells = milestones.snapshot()
    with unit_of_work():
        milestones.rebuild()
    assert milestones.snapshot() == cells
    business = db.session.get(Business, business_id)
    assert (business.name, business.employees, business.email_consent) == ("Anonymisierter Betrieb", 12, False)
    assert db.session.get(Business, other_id).name == "Tischlerei Brinkmann"  # the other business is untouched
    entry = db.session.scalar(select(PrivacyLog).where(PrivacyLog.action == "erased"))
    assert (entry.business_id, entry.actor_id, entry.detail) == (business_id, users["lead"].id, {"reason": "request"})
    # The business carries the marker the lower packages read, from the same transaction as the log entry.
    assert entry.created_at <= business.anonymised_at <= entry.created_at + timedelta(seconds=5)
    assert db.session.get(Business, other_id).anonymised_at is None
    again = client.post(f"/businesses/{business_id}/erase", data={"confirmation": "Anonymisierter Betrieb"})
    assert again.status_code == 422
    assert "bereits anonymisiert" in again.get_data(as_text=True)


def test_only_lead_and_admin_may_erase_and_a_scout_changes_nothing(app, client, login, seeded):
    business_id, _other = seeded
    login("lead")
    assert client.get("/businesses/99999999999999999999/privacy").status_code == 404
    assert client.post("/businesses/99999999999999999999/erase", data={"confirmation": NAME}).status_code == 404
    login("scout")
    assert client.post(f"/businesses/{business_id}/erase", data={"confirmation": NAME}).status_code == 403
    assert client.get(f"/businesses/{business_id}/export.json").status_code == 403
    assert db.session.get(Business, business_id).name == NAME
    assert not erasure.is_erased(business_id)


def test_two_erasures_at_once_anonymise_once_and_the_second_is_told(app, users):
    """Two threads, each with its own session, confirm the erasure of the same business at the same moment."""
    case = make_case(users["scout"], name="Doppelt GmbH")
    business_id, lead_id, admin_id = case.business_id, users["lead"].id, users["admin"].id
    db.session.commit()
    db.session.remove()
    ready = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def attempt(user_id: int) -> None:
        with app.app_context(), app.test_request_context():
            business = db.session.get(Business, business_id)
            actor = db.session.get(User, user_id)
            ready.wait()
            try:
                erasure.erase_business(business, actor, "Doppelt GmbH")
                db.session.commit()
                outcomes[user_id] = "erased"
            except DomainError as refused:
                db.session.rollback()
                outcomes[user_id] = refused.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(user_id,)) for user_id in (lead_id, admin_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["Dieser Betrieb ist bereits anonymisiert.", "erased"]
    assert db.session.scalar(select(func.count()).select_from(PrivacyLog).where(PrivacyLog.action == "erased")) == 1
