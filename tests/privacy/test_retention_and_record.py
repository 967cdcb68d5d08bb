"""The retention rule (dry run against run, batches, CLI and job) and the Art. 30 record."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases import services, workflow
from app.cases.models import Business, Case
from app.extensions import db
from app.privacy import retention
from app.privacy.jobs import retention_job
from app.privacy.models import PrivacyLog
from app.reference.models import Municipality, Trade
from app.scheduling.jobs import all_jobs
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.privacy.seeding import IDENTIFYING, NAME, scan, seed_everywhere
from tests.privacy.test_export_and_erasure import _figures


def _withdrawn(owner, name: str):
    case = make_case(owner, name=name)
    with unit_of_work():
        workflow.move(case, "withdrawn", owner, reason=f"{name} hat kein Interesse")
    return case.business_id


@pytest.fixture
def businesses(app, users):
    scout = users["scout"]
    due = [_withdrawn(scout, f"Altbetrieb {n}") for n in range(3)]
    still_open = make_case(scout, name="Offener Betrieb").business_id
    mixed = _withdrawn(scout, "Gemischter Betrieb")
    with unit_of_work():
        second = Case(business_id=mixed, owner_id=scout.id)
        db.session.add(second)
        workflow.open_case(second, scout)
        services.add_note(second, scout, "noch offen", "call")
    app.config.update(PROGRAMME_END="2026-01-31", RETENTION_MONTHS=6, RETENTION_BATCH_SIZE=2)
    return due, [still_open, mixed]


def _names(ids) -> list[str]:
    return list(db.session.scalars(select(Business.name).where(Business.id.in_(ids)).order_by(Business.id)))


@pytest.mark.postgres
def test_dry_run_lists_and_changes_nothing_then_the_run_anonymises_in_batches(app, client, login, businesses):
    due, kept = businesses
    login("lead")
    page = client.get("/privacy/retention").get_data(as_text=True)
    assert "Jetzt fällig: 3 Betriebe." in page
    assert all(f"Altbetrieb {n}" in page for n in range(3))
    assert "Offener Betrieb" not in page and "Gemischter Betrieb" not in page

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["procheck", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Altbetrieb 0" in dry.output and "ohne Fall" not in dry.output.splitlines()[0]
    assert "Fällig: 3 Betriebe mit abgeschlossenen Fällen, 0 Betriebe ohne Fall (Probelauf, nichts geändert)." \
        in dry.output
    db.session.expire_all()
    assert _names(due) == ["Altbetrieb 0", "Altbetrieb 1", "Altbetrieb 2"]

    run = runner.invoke(args=["procheck", "retention"])
    assert run.exit_code == 0, run.output
    assert "3 Betriebe anonymisiert." in run.output
    db.session.expire_all()
    assert _names(due) == ["Anonymisierter Betrieb"] * 3
    assert _names(kept) == ["Offener Betrieb", "Gemischter Betrieb"]
    marked = dict(db.session.execute(select(Business.id, Business.anonymised_at)
                                     .where(Business.id.in_(due + kept))).all())
    assert all(marked[i] is not None for i in due) and all(marked[i] is None for i in kept)
    erased = db.session.scalars(select(PrivacyLog.detail).where(PrivacyLog.action == "erased")).all()
    assert erased == [{"reason": "retention"}] * 3
    assert retention_job() == 0  # nothing left: a second run changes nothing
    runs = db.session.scalars(select(PrivacyLog.detail).where(PrivacyLog.action == "retention_run")
                              .order_by(PrivacyLog.id)).all()
    assert runs == [{"erased": 3, "caseless": 0}, {"erased": 0, "caseless": 0}]
    assert "Jetzt fällig: 0 Betriebe." in client.get("/privacy/retention").get_data(as_text=True)
    log_page = client.get("/privacy/log").get_data(as_text=True)
    assert "Löschfrist angewendet" in log_page and "Anonymisiert" in log_page


def test_before_its_start_the_rule_anonymises_nothing(app, client, login, businesses):
    app.config.update(PROGRAMME_END="", RETENTION_MONTHS=12)  # three years from PROGRAMME_START, plus a year
    assert retention.starts_on().isoformat() == "2029-12-31"
    assert retention_job() == 0
    assert _names(businesses[0]) == ["Altbetrieb 0", "Altbetrieb 1", "Altbetrieb 2"]
    login("admin")
    page = client.get("/privacy/retention").get_data(as_text=True)
    assert "Die Regel greift noch nicht: Vor dem 31.12.2029 wird nichts anonymisiert." in page
    result = app.test_cli_runner().invoke(args=["procheck", "retention"])
    assert "greift erst ab 31.12.2029" in result.output


def test_the_scheduler_runs_the_retention_job_nightly(app):
    [trigger] = [trigger for job_id, _job, trigger in all_jobs(app) if job_id == "retention"]
    assert (trigger["trigger"], trigger["hour"]) == ("cron", 3)


def test_the_record_of_processing_is_generated_from_the_data(app, client, login, users):
    make_case(users["scout"])
    login("admin")
    response = client.get("/privacy/record")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Verzeichnis von Verarbeitungstätigkeiten", "Check-Ergebnis mit Empfehlungen", "Hochschule",
                 "Ansprechperson", "Telefon", "12 Monate nach Programmende", "Einwilligung des Betriebs",
                 "Online-Anfrage: Bitte bestätigen (Double-Opt-in)", "Art. 6 Abs. 1 lit. b DSGVO",
                 "Online-Anfrage bestätigt, der Prozessscout meldet sich",
                 "Betriebe ohne Fall (aus der Handwerksrolle importiert und nie kontaktiert) werden ab demselben"):
        assert text in page, text
    assert db.session.scalar(select(PrivacyLog.action)) == "record_viewed"


@pytest.mark.postgres
def test_the_retention_run_leaves_no_trace_of_a_fully_seeded_business(app, users, smtp_server):
    case = seed_everywhere(users["scout"], smtp_server)
    with unit_of_work():
        workflow.move(case, "withdrawn", users["scout"], reason=f"{NAME} schließt")
    other = make_case(users["scout"], name="Tischlerei Brinkmann")
    app.config.update(PROGRAMME_END="2026-01-31", RETENTION_MONTHS=6)
    assert retention.run() == 1
    db.session.expire_all()
    assert scan(IDENTIFYING) == []
    assert db.session.get(Business, other.business_id).name == "Tischlerei Brinkmann"


def _caseless(name: str) -> int:
    """A business taken over from the chamber's register and never contacted: no case at all."""
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    business = Business(name=name, trade_id=trade.id, register_number="4711", street="Rollenweg 2", postcode="45879",
                        municipality_id=town.id, contact_name="Rolf Rolle", email="rolle@register.example.org",
                        employees=3)
    with unit_of_work():
        db.session.add(business)
    return business.id


@pytest.mark.postgres
def test_a_business_without_any_case_is_anonymised_after_the_date_and_not_before(app, client, login, businesses):
    due, kept = businesses
    never = _caseless("Nie kontaktiert GmbH")
    figures = _figures()
    login("lead")
    page = client.get("/privacy/retention").get_data(as_text=True)
    assert "Jetzt fällig: 3 Betriebe." in page and "Jetzt fällig ohne Fall: 1 Betriebe." in page
    without = page[page.index("Ohne Fall"):]
    assert "Nie kontaktiert GmbH" in without and "Altbetrieb 0" not in without
    assert "Offener Betrieb" not in page
    dry = app.test_cli_runner().invoke(args=["procheck", "retention", "--dry-run"])
    assert f"{never}\tNie kontaktiert GmbH\tohne Fall" in dry.output
    assert "Fällig: 3 Betriebe mit abgeschlossenen Fällen, 1 Betriebe ohne Fall" in dry.output

    assert retention.run(today=retention.starts_on() - timedelta(days=1)) == 0
    db.session.expire_all()
    assert _names([never]) == ["Nie kontaktiert GmbH"]

    assert retention.run(today=retention.starts_on()) == 4
    db.session.expire_all()
    row = db.session.get(Business, never)
    assert (row.name, row.register_number, row.street, row.contact_name, row.email) == (
        "Anonymisierter Betrieb", None, "", "", "")
    assert row.anonymised_at is not None and (row.trade.name, row.employees) == ("Tischler", 3)
    assert _names(kept) == ["Offener Betrieb", "Gemischter Betrieb"]
    logged = db.session.scalar(select(PrivacyLog.detail).where(PrivacyLog.business_id == never))
    assert logged == {"reason": "retention"}
    assert db.session.scalars(select(PrivacyLog.detail).where(PrivacyLog.action == "retention_run")).all() == [
        {"erased": 4, "caseless": 1}]
    assert _figures() == figures
    assert "Jetzt fällig ohne Fall: 0 Betriebe." in client.get("/privacy/retention").get_data(as_text=True)


@pytest.mark.postgres
def test_a_business_that_gets_a_case_while_its_batch_is_taken_is_not_anonymised(app, users):
    """The batch's ids are read, then locked and asked again: a case opened in between (here in the same
    transaction, as a confirmed request committed before the lock would be) keeps its business."""
    taken, other = _caseless("Gleich angefragt GmbH"), _caseless("Weiter ohne Fall GmbH")
    asked = []

    def caseless_then_a_case(after_id):
        if asked:  # the second reading: meanwhile the business got a case
            db.session.add(Case(business_id=taken, owner_id=users["scout"].id))
            db.session.flush()
        asked.append(after_id)
        return retention.caseless(after_id)

    with unit_of_work():
        count, last = retention.erase_batch(0, 100, caseless_then_a_case)
    db.session.expire_all()
    assert (count, last) == (1, max(taken, other))
    assert _names([taken]) == ["Gleich angefragt GmbH"] and db.session.get(Business, taken).anonymised_at is None
    assert db.session.get(Business, other).anonymised_at is not None


def test_an_import_read_before_the_erasure_writes_nothing_into_the_anonymised_business(app):
    """The import matched the business before the retention job anonymised it; its UPDATE comes after."""
    from app.imports import importer

    business = db.session.get(Business, _caseless("Rolle GmbH"))
    values = {name: getattr(business, name) for name in importer.COLUMNS} | {"street": "Neuer Weg 9"}
    with unit_of_work():
        retention.erase_batch(0, 100, retention.caseless)
    with unit_of_work():
        importer._update([importer.Outcome(line=2, action="update", values=values, business_id=business.id)])
    db.session.expire_all()
    row = db.session.get(Business, business.id)
    assert (row.name, row.street, row.register_number) == ("Anonymisierter Betrieb", "", None)
