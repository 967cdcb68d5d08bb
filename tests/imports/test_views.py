"""The import in the web: upload, assign columns (remembered), dry run with its rows and error file, the start
in the background with its progress, and clear refusals of bad files."""

import io
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cases.models import Business
from app.extensions import db
from app.imports.models import ImportMapping, ImportRun
from app.timeutil import utcnow
from tests.imports.register import HEADERS, register_rows, write_csv, write_xlsx

CUSTOM_HEADERS = ["Kennung", "Firmierung", "Tätigkeit", "Lage", "Ort-PLZ", "Person", "Ruf", "Post", "Köpfe"]


@pytest.fixture
def lead(app, login, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "uploads")
    return login("lead")


def _upload(client, path, name=None):
    with path.open("rb") as file:
        return client.post("/import", data={"file": (io.BytesIO(file.read()), name or path.name)},
                           content_type="multipart/form-data")


def _mapping(headers=HEADERS, update=False) -> dict:
    data = {field: str(i) for i, field in enumerate(("register_number", "name", "trade", "street", "postcode",
                                                      "contact_name", "phone", "email", "employees"))}
    if update:
        data["update_existing"] = "y"
    return data


def _wait_until_done(client, run_id: int) -> dict:
    for _i in range(300):
        progress = client.get(f"/import/{run_id}/progress").get_json()
        if progress["status"] in ("done", "failed"):
            return progress
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


@pytest.mark.postgres
def test_upload_dry_run_error_file_and_import_in_the_background(app, client, lead, tmp_path):
    rows = register_rows(25) + [["400001", "Ohne PLZ", "Tischler", "Weg 1", "", "", "", "", ""],
                                ["400002", "Fremd", "Tischler", "Weg 1", "10115", "", "", "", ""]]
    uploaded = _upload(client, write_csv(tmp_path / "rolle.csv", rows, encoding="cp1252"))
    assert uploaded.status_code == 302
    run = db.session.scalar(select(ImportRun))
    mapping_page = client.get(f"/import/{run.id}/mapping")
    assert mapping_page.status_code == 200 and "Spalten zuordnen" in mapping_page.get_data(as_text=True)
    checked = client.post(f"/import/{run.id}/mapping", data=_mapping(), follow_redirects=True)
    page = checked.get_data(as_text=True)
    assert "Probelauf" in page
    assert "Die Postleitzahl hat nicht fünf Ziffern." in page and "Die Postleitzahl liegt außerhalb der Region." in page
    db.session.refresh(run)
    assert (run.total, run.created, run.skipped) == (27, 25, 2)
    assert db.session.scalar(select(func.count(Business.id))) == 0  # a dry run saves nothing

    errors = client.get(f"/import/{run.id}/errors.csv")
    text = errors.get_data().decode("utf-8-sig")
    assert errors.mimetype == "text/csv"
    assert text.splitlines()[0] == "Zeile;Begründung;Handwerksrollennummer;Name des Betriebs;Postleitzahl"
    assert "28;Die Postleitzahl liegt außerhalb der Region.;400002;Fremd;10115" in text

    started = client.post(f"/import/{run.id}/start")
    assert started.status_code == 302
    progress = _wait_until_done(client, run.id)
    assert progress == {"status": "done", "processed": 27, "total": 27, "created": 25, "updated": 0, "unchanged": 0,
                        "skipped": 2}
    assert db.session.scalar(select(func.count(Business.id))) == 25
    done = client.get(f"/import/{run.id}").get_data(as_text=True)
    assert "Der Import ist abgeschlossen" in done
    assert not (tmp_path / "uploads" / run.stored_name).exists()  # the extract is not kept
    again = client.post(f"/import/{run.id}/start", follow_redirects=True)
    assert "bereits gestartet" in again.get_data(as_text=True)


def test_the_mapping_is_remembered_for_the_same_headers(app, client, lead, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(2), headers=CUSTOM_HEADERS)
    _upload(client, path)
    first = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    assert first.mapping == {}  # nothing to guess from these names
    missing = client.post(f"/import/{first.id}/mapping", data={"name": "1"})
    assert missing.status_code == 400 and "Bitte ordnen Sie eine Spalte zu für" in missing.get_data(as_text=True)
    twice = client.post(f"/import/{first.id}/mapping", data={**_mapping(), "street": "1"})
    assert twice.status_code == 400 and "nur einem Feld" in twice.get_data(as_text=True)
    assert client.post(f"/import/{first.id}/mapping", data=_mapping()).status_code == 302
    assert db.session.scalar(select(func.count(ImportMapping.id))) == 1
    _upload(client, write_xlsx(tmp_path / "neu.xlsx", register_rows(3), headers=CUSTOM_HEADERS))
    second = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    assert second.id != first.id and second.mapping == _as_ints(_mapping())
    page = client.get(f"/import/{second.id}/mapping").get_data(as_text=True)
    assert '<option selected value="1">Firmierung</option>' in page


def _as_ints(data: dict) -> dict:
    return {name: int(value) for name, value in data.items()}


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "rolle.csv", "Die Datei ist leer."),
    (b"Name;PLZ\n", "rolle.pdf", "Bitte wählen Sie eine CSV- oder Excel-Datei"),
    (b"PK\x03\x04 kaputt", "rolle.xlsx", "nicht als Excel-Arbeitsmappe"),
    (b"PK\x03\x04 kaputt", "rolle.csv", "passt nicht zu ihrer Endung"),
])
def test_bad_files_are_refused_with_a_clear_message(app, client, lead, tmp_path, content, name, message):
    response = client.post("/import", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ImportRun.id))) == 0
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # nothing half-saved


def test_a_file_larger_than_the_form_limit_is_accepted_for_the_import(app, client, lead, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(12_000))
    assert path.stat().st_size > 1024 * 1024  # above the 1 MiB of every other form
    assert _upload(client, path).status_code == 302
    app.config["IMPORT_MAX_BYTES"] = 1024
    assert _upload(client, path).status_code == 413


def test_a_large_file_passes_the_csrf_check_which_reads_the_form_first(app, client, lead, tmp_path):
    """The CSRF check reads the body in a before_request hook that runs before ours: the larger limit must be in
    place before any of them (a URL value preprocessor)."""
    path = write_csv(tmp_path / "rolle.csv", register_rows(12_000))
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with path.open("rb") as file:
        response = client.post("/import", data={"csrf_token": token, "file": (io.BytesIO(file.read()), path.name)},
                               content_type="multipart/form-data")
    assert response.status_code == 302


def test_while_an_import_runs_the_page_reloads_without_script_and_no_second_one_starts(app, client, lead, tmp_path):
    runs_ = []
    for name in ("a.csv", "b.csv"):
        _upload(client, write_csv(tmp_path / name, register_rows(2)))
        run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
        client.post(f"/import/{run.id}/mapping", data=_mapping())
        runs_.append(run)
    first, second = runs_
    first.status = "running"  # as the worker sets it while it imports
    db.session.commit()
    page = client.get(f"/import/{first.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "Der Import läuft" in page and 'src="/static/progress.js"' in page
    first.progressed_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    refused = client.post(f"/import/{second.id}/start", follow_redirects=True)
    assert "Ein anderer Import läuft gerade" in refused.get_data(as_text=True)
    db.session.refresh(second)
    assert second.status == "checked"
    # A run without progress for ten minutes lost its process: it no longer blocks the next one.
    first.progressed_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    assert client.post(f"/import/{second.id}/start").status_code == 302
    assert _wait_until_done(client, second.id)["status"] == "done"
    db.session.refresh(first)
    assert first.status == "failed"


def test_the_command_names_the_columns_it_could_not_assign(app, tmp_path):
    path = write_csv(tmp_path / "rolle.csv", register_rows(2), headers=CUSTOM_HEADERS)
    result = app.test_cli_runner().invoke(args=["procheck", "import-businesses", str(path)])
    assert result.exit_code != 0
    assert "Keine Spalte für: Name des Betriebs, Postleitzahl, Gewerk" in result.output
    assert "Firmierung" in result.output


def test_the_command_updates_only_with_update(app, tmp_path):
    rows = register_rows(3)
    runner = app.test_cli_runner()
    runner.invoke(args=["procheck", "import-businesses", str(write_csv(tmp_path / "a.csv", rows))])
    rows[2][3] = "Neue Straße 1"
    changed = str(write_csv(tmp_path / "b.csv", rows))
    plain = runner.invoke(args=["procheck", "import-businesses", changed])
    assert "Zeile 4: übersprungen – Der Betrieb ist mit anderen Daten vorhanden" in plain.output
    updated = runner.invoke(args=["procheck", "import-businesses", changed, "--update"])
    assert "0 wurden neu angelegt, 1 aktualisiert, 2 unverändert, 0 übersprungen" in updated.output
    assert db.session.scalar(select(Business.street).where(Business.register_number == rows[2][0])) == rows[2][3]
