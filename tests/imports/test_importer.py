"""The import's outcomes per row: created, updated, unchanged or skipped with the reason; dry run vs real run."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.cases import readmodel, search, services
from app.cases.models import Business, Case, CaseEvent
from app.extensions import db
from app.imports import importer
from app.imports.rows import guess_mapping
from app.reports import milestones
from app.transactions import unit_of_work
from tests.imports.register import HEADERS, register_rows, write_csv, write_xlsx
from tests.reports.test_support import assert_kept_equals_counted

MAPPING = guess_mapping(HEADERS)


def _import(path, *, apply=True, update=False) -> tuple[importer.Totals, dict[int, importer.Outcome]]:
    outcomes, totals = {}, importer.Totals()
    batches = importer.run(path, MAPPING, update_existing=update, apply=apply, batch_size=7)
    while True:
        with unit_of_work():
            batch = next(batches, None)
        if batch is None:
            return totals, outcomes
        totals = batch.totals
        outcomes.update((o.line, o) for o in batch.outcomes)


def _businesses() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(Business.__table__).order_by(Business.id))]


def _count() -> int:
    return db.session.scalar(select(func.count(Business.id)))


@pytest.mark.postgres
def test_a_dry_run_writes_nothing_and_predicts_the_real_run(app, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(40))
    before = _count()
    dry, dry_outcomes = _import(path, apply=False)
    assert (dry.processed, dry.created, dry.skipped) == (40, 40, 0)
    assert _count() == before
    real, real_outcomes = _import(path)
    assert real == dry
    assert {line: o.action for line, o in real_outcomes.items()} == {line: o.action for line, o in
                                                                      dry_outcomes.items()}
    assert _count() == before + 40
    imported = db.session.scalar(select(Business).where(Business.register_number == "100007"))
    assert imported.postcode == register_rows(40)[7][4]
    assert imported.municipality.postcodes  # derived from the postcode
    # No case and no e-mail consent come with an import.
    assert not imported.email_consent and imported.consent_at is None
    assert db.session.scalar(select(func.count(Case.id)).where(Case.business_id == imported.id)) == 0


@pytest.mark.postgres
def test_importing_the_same_file_again_changes_nothing(app, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(30))
    _import(path)
    snapshot = _businesses()
    again, outcomes = _import(path)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 30, 0)
    assert _businesses() == snapshot
    also_with_update, _o = _import(path, update=True)
    assert also_with_update.unchanged == 30 and _businesses() == snapshot


@pytest.mark.postgres
def test_changed_data_is_taken_only_with_update_and_empty_cells_clear_nothing(app, tmp_path):
    rows = register_rows(3)
    _import(write_csv(tmp_path / "erst.csv", rows))
    rows[0][3] = "Neue Straße 9"  # the street changed
    rows[1][6] = ""  # the phone is empty in the new extract
    path = write_csv(tmp_path / "neu.csv", rows)
    totals, outcomes = _import(path)
    assert (totals.skipped, totals.unchanged) == (1, 2)
    assert outcomes[2].problem == "exists_differs"
    totals, _o = _import(path, update=True)
    assert (totals.updated, totals.unchanged) == (1, 2)
    first, second = (db.session.scalar(select(Business).where(Business.register_number == rows[i][0]))
                     for i in (0, 1))
    assert first.street == "Neue Straße 9"
    assert second.phone == register_rows(3)[1][6]


def test_a_business_without_number_is_matched_by_name_and_postcode(app, tmp_path):
    row = ["", "Friseur Salon Haarmonie", "Friseure", "Markt 1", "45657", "", "", "", ""]
    _import(write_csv(tmp_path / "a.csv", [row]))
    totals, _o = _import(write_csv(tmp_path / "b.csv", [row]))
    assert (totals.created, totals.unchanged) == (0, 1)
    # The register number arrives later: the same business gets it.
    totals, _o = _import(write_csv(tmp_path / "c.csv", [["777777", *row[1:]]]), update=True)
    assert (totals.created, totals.updated) == (0, 1)
    assert db.session.scalar(select(Business.register_number).where(Business.name == row[1])) == "777777"


def test_each_row_error_is_skipped_with_its_reason(app, tmp_path):
    good = register_rows(2)
    bad = [
        ["200001", "", "Tischler", "Weg 1", "45879", "", "", "", ""],
        ["200002", "Tischlerei Kurz", "Tischler", "Weg 1", "4587", "", "", "", ""],
        ["200003", "Tischlerei Fern", "Tischler", "Weg 1", "10115", "", "", "", ""],
        ["200004", "Wunderwerk", "Zauberer", "Weg 1", "45879", "", "", "", ""],
        [good[0][0], "Andere Firma", "Tischler", "Weg 1", "45879", "", "", "", ""],
        ["", good[1][1].upper(), "Tischler", "Weg 1", good[1][4], "", "", "", ""],
        ["12", "Tischlerei Nummer", "Tischler", "Weg 1", "45879", "", "", "", ""],
        ["200008", "Tischlerei Mail", "Tischler", "Weg 1", "45879", "", "", "kein-at-zeichen", ""],
        ["200009", "Tischlerei Viele", "Tischler", "Weg 1", "45879", "", "", "", "viele"],
        ["200010", "T" * 201, "Tischler", "Weg 1", "45879", "", "", "", ""],
    ]
    # The second good row has no number here, so its name and postcode make the later row a duplicate.
    good[1][0] = ""
    totals, outcomes = _import(write_csv(tmp_path / "rolle.csv", good + bad), apply=False)
    problems = {line: o.problem for line, o in outcomes.items() if o.action == "skip"}
    assert problems == {4: "missing_name", 5: "invalid_postcode", 6: "outside_region", 7: "unknown_trade",
                        8: "duplicate_register_number", 9: "duplicate_name_postcode",
                        10: "invalid_register_number", 11: "invalid_email", 12: "invalid_employees", 13: "too_long"}
    assert (totals.created, totals.skipped) == (2, 10)
    before = _count()
    _import(write_csv(tmp_path / "rolle.csv", good + bad))
    assert _count() == before + 2  # nothing of a skipped row is saved


def test_the_trade_may_be_its_anlage_a_number_and_control_characters_are_removed(app, tmp_path):
    row = ["300001", "Elektro\x00 Blitz\tGmbH", "25", "Ring 2", "46236", "", "", "", "12"]
    totals, _o = _import(write_csv(tmp_path / "rolle.csv", [row]))
    business = db.session.scalar(select(Business).where(Business.register_number == "300001"))
    assert business.name == "Elektro Blitz GmbH"
    assert business.trade.name == "Elektrotechniker" and business.employees == 12


def test_an_xlsx_extract_imports_like_the_csv(app, tmp_path):
    rows = [[int(r[0]), *r[1:4], int(r[4]), *r[5:8], int(r[8])] for r in register_rows(5)]
    totals, _o = _import(write_xlsx(tmp_path / "rolle.xlsx", rows))
    assert totals.created == 5
    totals, _o = _import(write_csv(tmp_path / "rolle.csv", register_rows(5)))
    assert totals.unchanged == 5  # the same businesses, read from the CSV


@pytest.mark.postgres
def test_imported_businesses_are_found_by_the_search(app, tmp_path):
    _import(write_csv(tmp_path / "rolle.csv", register_rows(3)))
    name = register_rows(3)[2][1]
    found = search.resolve(db.session, name.split()[-2] + " " + name.split()[-1])
    ids = db.session.scalars(select(Business.id).where(Business.name == name)).all()
    assert set(ids) <= found.business_ids


@pytest.mark.postgres
def test_an_update_of_a_business_with_a_case_is_on_its_timeline_and_moves_the_read_models(app, users, tmp_path):
    rows = register_rows(2)
    _import(write_csv(tmp_path / "a.csv", rows))
    business = db.session.scalar(select(Business).where(Business.register_number == rows[0][0]))
    with unit_of_work():
        case = services.open_business_case(business, users["scout"], users["scout"])
    rows[0][4] = "46236" if rows[0][4] != "46236" else "45657"  # moved to another town
    rows[0][8] = "300"  # and grew
    totals, _o = _import(write_csv(tmp_path / "b.csv", rows), update=True)
    assert (totals.updated, totals.unchanged) == (1, 1)
    entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.kind == "business_edited"))
    assert set(entry.data["fields"]) == {"postcode", "municipality_id", "employees"} and entry.actor_id is None
    assert_kept_equals_counted()
    counts, cells = readmodel.snapshot(), milestones.snapshot()
    with unit_of_work():
        readmodel.rebuild()
        milestones.rebuild()
    assert readmodel.snapshot() == counts and milestones.snapshot() == cells


@pytest.mark.postgres
def test_two_imports_of_the_same_file_at_once_create_each_business_once(app, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(300))
    db.session.commit()
    barrier, results = threading.Barrier(2), []

    def run_import() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(_import(path)[0])
            except OperationalError as error:  # SQLite: the later writer's snapshot is stale; it stops there
                results.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_import) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    numbers = db.session.execute(select(Business.register_number, func.count()).group_by(Business.register_number))
    assert all(n == 1 for _number, n in numbers)
    assert _count() == 300
    assert sum(r.created for r in results if isinstance(r, importer.Totals)) == 300
