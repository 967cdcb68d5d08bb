"""Storage limitation of the import: the uploaded file and the dry run's preview go once served (the run started and
ended, or was never started within IMPORT_KEEP_HOURS), and files of no run go too; the run's counts stay."""

import os
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.imports import cleanup
from app.imports.models import ImportRun, PreviewRow
from app.scheduling.jobs import all_jobs
from app.timeutil import utcnow
from tests.imports.register import register_rows, write_csv
from tests.imports.test_views import _mapping, _upload, _wait_until_done


@pytest.fixture
def lead(app, login, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "uploads")
    return login("lead")


def _checked_run(client, tmp_path, name: str) -> ImportRun:
    """An uploaded and dry-run file with two rows that are not simply created (the preview)."""
    rows = register_rows(3) + [["400001", "Ohne PLZ", "Tischler", "Weg 1", "", "", "", "", ""],
                               ["400002", "Fremd", "Tischler", "Weg 1", "10115", "", "", "", ""]]
    _upload(client, write_csv(tmp_path / name, rows))
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    assert client.post(f"/import/{run.id}/mapping", data=_mapping()).status_code == 302
    return run


def _preview_rows(run_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(PreviewRow).where(PreviewRow.run_id == run_id))


def _age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.mark.postgres
def test_a_finished_run_keeps_its_counts_but_neither_its_file_nor_its_preview(app, client, lead, tmp_path):
    run = _checked_run(client, tmp_path, "rolle.csv")
    path = tmp_path / "uploads" / run.stored_name
    assert path.exists() and _preview_rows(run.id) == 2  # kept while the run waits for its start
    page = client.get(f"/import/{run.id}").get_data(as_text=True)
    until = (run.created_at + timedelta(hours=24)).astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")
    assert "Fremd" in page and "Die Datei und die Zeilen des Probelaufs werden am " + until in page
    assert "Vorschau wird am " + until in client.get("/import").get_data(as_text=True)

    assert client.post(f"/import/{run.id}/start").status_code == 302
    assert _wait_until_done(client, run.id)["status"] == "done"
    db.session.refresh(run)
    assert not path.exists() and _preview_rows(run.id) == 0
    assert (run.total, run.created, run.skipped, run.filename) == (5, 3, 2, "rolle.csv")
    listed = client.get("/import").get_data(as_text=True)
    assert "rolle.csv" in listed and "<td>gelöscht</td>" in listed and "Vorschau wird am" not in listed
    download = client.get(f"/import/{run.id}/errors.csv", follow_redirects=True)
    assert download.status_code == 200 and download.mimetype == "text/html"
    assert "Die Datei dieses Imports ist nicht mehr gespeichert" in download.get_data(as_text=True)


@pytest.mark.postgres
def test_the_job_deletes_stale_unstarted_runs_and_files_of_no_run_and_keeps_fresh_ones(app, client, lead, tmp_path):
    stale, fresh = _checked_run(client, tmp_path, "alt.csv"), _checked_run(client, tmp_path, "neu.csv")
    stale.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    folder = tmp_path / "uploads"
    _age(folder / stale.stored_name, 25)
    orphan_old, orphan_new = folder / "killed-before-commit.csv", folder / "being-uploaded.csv"
    orphan_old.write_text("Name;PLZ\n")
    orphan_new.write_text("Name;PLZ\n")
    _age(orphan_old, 25)
    stale_id, stale_file = stale.id, folder / stale.stored_name

    assert cleanup.cleanup_job() == cleanup.Cleared(runs=1, files=2)
    db.session.expire_all()
    assert db.session.get(ImportRun, stale_id) is None and _preview_rows(stale_id) == 0
    assert not stale_file.exists() and not orphan_old.exists()
    assert orphan_new.exists() and (folder / fresh.stored_name).exists() and _preview_rows(fresh.id) == 2
    gone = client.get(f"/import/{stale_id}/errors.csv")
    assert gone.status_code == 404

    # The command does the same, by hand.
    _age(orphan_new, 25)
    result = app.test_cli_runner().invoke(args=["procheck", "imports-cleanup"])
    assert result.exit_code == 0
    assert "Import: 0 nicht gestartete Läufe gelöscht, 1 Dateien entfernt." in result.output
    assert not orphan_new.exists() and (folder / fresh.stored_name).exists()


def test_a_run_whose_process_died_is_failed_by_the_job_and_its_file_removed(app, client, lead, tmp_path):
    run = _checked_run(client, tmp_path, "rolle.csv")
    run.status, run.progressed_at = "running", utcnow() - timedelta(hours=1)
    db.session.commit()
    assert cleanup.cleanup_job() == cleanup.Cleared(runs=0, files=1)
    db.session.refresh(run)
    assert run.status == "failed" and not (tmp_path / "uploads" / run.stored_name).exists()


def test_the_cleanup_runs_hourly_in_the_scheduler(app):
    jobs = {job_id: (job, trigger) for job_id, job, trigger in all_jobs(app)}
    assert jobs["imports-cleanup"] == (cleanup.cleanup_job, {"trigger": "interval", "minutes": 60})
