"""An import run from upload to result: store the file, map its columns (remembered per header set), dry-run it,
then import it in batches with its progress in import_runs (a background thread here, a progress bar on the
command line). Operations flush; `execute` commits per batch through unit_of_work, as a job does."""

import csv
import io
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.errors import DomainError
from app.extensions import db
from app.imports import importer, reading
from app.imports.models import ImportMapping, ImportRun, PreviewRow, RunStatus
from app.imports.rows import FIELDS, REASONS, REQUIRED, guess_mapping, header_key
from app.timeutil import utcnow
from app.transactions import unit_of_work

PREVIEW_ROWS = 200
STALE = timedelta(minutes=10)  # a queued or running import without progress this long lost its process
UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)
CLAIM_WAIT_SECONDS = 30  # the thread waits this long for the request that queued the run to commit
log = logging.getLogger(__name__)


def folder() -> Path:
    path = Path(current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(run: ImportRun) -> Path:
    return folder() / run.stored_name


def remembered(headers: list[str]) -> dict[str, int]:
    """The mapping used last time for these headers, else a guess from the header names."""
    found = db.session.scalar(select(ImportMapping).where(ImportMapping.header_key == header_key(headers)))
    return dict(found.mapping) if found else guess_mapping(headers)


def store_upload(upload: FileStorage, actor: User) -> ImportRun:
    """Keep the uploaded file and start a run with the remembered (or guessed) mapping; unreadable files refused."""
    filename = (upload.filename or "").strip()
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise DomainError(_l("Please choose a CSV or Excel (.xlsx) file."), "file")
    stored = f"{uuid.uuid4().hex}{suffix}"
    path = folder() / stored
    upload.save(path)
    try:
        if reading.is_xlsx(path) != (suffix == ".xlsx"):
            raise DomainError(_l("The file's content does not match its name (.csv or .xlsx)."), "file")
        headers = reading.headers(path)
    except DomainError as error:
        path.unlink(missing_ok=True)
        raise DomainError(error.message, "file") from error
    run = ImportRun(created_by_id=actor.id, filename=filename[:255], stored_name=stored,
                    mapping=remembered(headers), status=RunStatus.CHECKED)
    db.session.add(run)
    db.session.flush()
    return run


def set_mapping(run: ImportRun, mapping: dict[str, int], update_existing: bool) -> None:
    """Take the user's mapping (field -> column) and remember it for files with the same headers."""
    headers = reading.headers(file_of(run))
    missing = [str(FIELDS[name]) for name in REQUIRED if name not in mapping]
    if missing:
        raise DomainError(_l("Please assign a column to: %(fields)s.", fields=", ".join(missing)))
    columns = list(mapping.values())
    if len(set(columns)) != len(columns):
        raise DomainError(_l("Each column can be assigned to one field only."))
    if any(not 0 <= index < len(headers) for index in columns):
        raise DomainError(_l("The file has no such column."))
    run.mapping, run.update_existing = mapping, update_existing
    key = header_key(headers)
    saved = db.session.scalar(select(ImportMapping).where(ImportMapping.header_key == key))
    if saved is None:
        db.session.add(ImportMapping(header_key=key, mapping=mapping))
    else:
        saved.mapping, saved.updated_at = mapping, utcnow()
    db.session.flush()


def dry_run(run: ImportRun) -> importer.Totals:
    """Classify every row without writing; keep the counts and the first rows that are not simply created."""
    preview: list[dict[str, Any]] = []
    totals = importer.Totals()
    for batch in importer.run(file_of(run), run.mapping, update_existing=run.update_existing, apply=False):
        totals = batch.totals
        for o in batch.outcomes:
            if o.action != "create" and len(preview) < PREVIEW_ROWS:
                preview.append({"run_id": run.id, "line": o.line, "action": o.action, "reason": o.problem,
                                "name": o.values.get("name"), "register_number": o.values.get("register_number"),
                                "postcode": o.values.get("postcode")})
    clear_preview(run.id)
    if preview:
        db.session.execute(insert(PreviewRow), preview)
    run.total = totals.processed
    run.created, run.updated, run.unchanged, run.skipped = (totals.created, totals.updated, totals.unchanged,
                                                            totals.skipped)
    db.session.flush()
    return totals


def preview_of(run: ImportRun) -> list[PreviewRow]:
    return list(db.session.scalars(select(PreviewRow).where(PreviewRow.run_id == run.id).order_by(PreviewRow.line)))


def clear_preview(run_id: int) -> None:
    db.session.execute(delete(PreviewRow).where(PreviewRow.run_id == run_id))


def kept_until(run: ImportRun) -> datetime | None:
    """When the file and preview of a run not started go (app.imports.cleanup); None once started."""
    if run.status != RunStatus.CHECKED:
        return None
    return run.created_at + timedelta(hours=current_app.config["IMPORT_KEEP_HOURS"])


def error_file(run: ImportRun) -> Iterator[str]:
    """The skipped rows as CSV for Excel (`;`, BOM): line, reason and the row's main values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Line"), _("Reason"), _("Handwerksrolle number"), _("Name of the business"), _("Postcode")])
    yield "\ufeff" + buffer.getvalue()
    for batch in importer.run(file_of(run), run.mapping, update_existing=run.update_existing, apply=False):
        buffer.seek(0)
        buffer.truncate()
        for o in batch.outcomes:
            if o.action == "skip":
                writer.writerow([o.line, str(REASONS[o.problem]), o.values.get("register_number") or "",
                                 o.values.get("name") or "", o.values.get("postcode") or ""])
        yield buffer.getvalue()


def queue(run: ImportRun) -> None:
    if run.status != RunStatus.CHECKED:
        raise DomainError(_l("This import has already been started."))
    if not file_of(run).exists():
        raise DomainError(_l("The uploaded file is no longer there; please upload it again."))
    fail_stale()
    if db.session.scalar(select(ImportRun.id).where(ImportRun.status.in_(UNFINISHED)).limit(1)) is not None:
        raise DomainError(_l("Another import is running; please start this one when it is done."))
    run.status, run.processed, run.progressed_at = RunStatus.QUEUED, 0, utcnow()
    run.created = run.updated = run.unchanged = run.skipped = 0
    clear_preview(run.id)  # it served the decision to start: personal data not kept longer
    db.session.flush()


def fail_stale() -> None:
    """A run whose process died (a restart, a crash) would block every later one: it is marked failed."""
    db.session.execute(update(ImportRun).where(ImportRun.status.in_(UNFINISHED),
                                               ImportRun.progressed_at < utcnow() - STALE)
                       .values(status=RunStatus.FAILED, finished_at=utcnow(), error="no progress")
                       .execution_options(synchronize_session="fetch"))


def _claim(run_id: int) -> bool:
    """Take the queued run (an atomic UPDATE: of two workers only one gets it)."""
    with unit_of_work():
        result = db.session.execute(update(ImportRun).where(ImportRun.id == run_id,
                                                            ImportRun.status == RunStatus.QUEUED)
                                    .values(status=RunStatus.RUNNING))
    return result.rowcount == 1


def execute(run_id: int, on_batch=None) -> ImportRun:
    """Import a claimed run in batches, one commit each with its progress; a failure is kept on the run."""
    run = db.session.get(ImportRun, run_id)
    batches = importer.run(file_of(run), run.mapping, update_existing=run.update_existing, apply=True,
                           batch_size=current_app.config["IMPORT_BATCH_ROWS"])
    try:
        while True:
            with unit_of_work():
                batch = next(batches, None)
                run = db.session.get(ImportRun, run_id)
                if batch is None:
                    # The extract holds personal data: gone before the run reads "done" (a failed commit marks
                    # the run failed, which deletes the file too), so nobody sees a finished run with its file.
                    file_of(run).unlink(missing_ok=True)
                    run.status, run.finished_at = RunStatus.DONE, utcnow()
                    break
                totals = batch.totals
                run.processed, run.created, run.updated = totals.processed, totals.created, totals.updated
                run.progressed_at = utcnow()
                run.unchanged, run.skipped = totals.unchanged, totals.skipped
            if on_batch:
                on_batch(len(batch.outcomes))
    except Exception as error:
        with unit_of_work():
            run = db.session.get(ImportRun, run_id)
            run.status, run.finished_at, run.error = RunStatus.FAILED, utcnow(), str(error)[:2000]
        file_of(run).unlink(missing_ok=True)  # a failed run is not started again: the file is uploaded anew
        raise
    return run


def _work(app: Flask, run_id: int) -> None:
    with app.app_context():
        try:
            deadline = time.monotonic() + CLAIM_WAIT_SECONDS
            while not _claim(run_id):
                if time.monotonic() > deadline:
                    log.error("import run %s was not queued within %s s", run_id, CLAIM_WAIT_SECONDS)
                    return
                time.sleep(0.1)
            execute(run_id)
        except Exception:  # the thread's end: the run row shows the failure, the log its trace
            log.exception("import run %s failed", run_id)
        finally:
            db.session.remove()


def start_in_background(run_id: int) -> None:
    """Run the queued import in a thread; it starts once the request that queued it has committed."""
    app = current_app._get_current_object()
    threading.Thread(target=_work, args=(app, run_id), name=f"import-{run_id}", daemon=True).start()
