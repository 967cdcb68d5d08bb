"""Storage limitation for the import: an uploaded extract and its dry-run preview hold personal data of businesses
and go once they have served.

A started run loses its preview when queued and its file when it ends (app.imports.runs). This hourly job (and
`flask procheck imports-cleanup`) deletes what is left over:
- runs checked but never started, after IMPORT_KEEP_HOURS: the whole run goes (its preview rows with it by the
  foreign key). Nothing refers to an unstarted run and it changed no business, so there is nothing to keep a
  record of; the mapping stays remembered per header set;
- runs whose process died (marked failed, as a start would);
- files of runs no longer waiting (done, failed, deleted) and, after IMPORT_KEEP_HOURS, files that belong to no
  run (a process killed between writing the file and committing its run).
Files go after the commit: a rollback never loses the file of a run still to be started.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.imports import runs
from app.imports.models import ImportRun, RunStatus
from app.timeutil import utcnow
from app.transactions import unit_of_work

log = logging.getLogger(__name__)
WAITING = (RunStatus.CHECKED, *runs.UNFINISHED)  # runs whose file is still to be read


@dataclass(frozen=True)
class Cleared:
    runs: int
    files: int


def keep() -> timedelta:
    return timedelta(hours=current_app.config["IMPORT_KEEP_HOURS"])


def discard_stale_runs() -> int:
    """Delete the runs checked but not started within IMPORT_KEEP_HOURS (their preview rows cascade)."""
    result = db.session.execute(delete(ImportRun).where(ImportRun.status == RunStatus.CHECKED,
                                                        ImportRun.created_at < utcnow() - keep())
                                .execution_options(synchronize_session=False))
    return result.rowcount


def sweep_files() -> int:
    """Delete the files no waiting run needs: a known run's at once, an unknown one's after IMPORT_KEEP_HOURS."""
    files = {path.name: path for path in runs.folder().iterdir() if path.is_file()}
    if not files:
        return 0
    status = dict(db.session.execute(select(ImportRun.stored_name, ImportRun.status)
                                     .where(ImportRun.stored_name.in_(list(files)))).all())
    oldest = time.time() - keep().total_seconds()
    removed = 0
    for name, path in files.items():
        if status.get(name) not in WAITING and (name in status or path.stat().st_mtime < oldest):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def cleanup() -> Cleared:
    with unit_of_work():
        count = discard_stale_runs()
        runs.fail_stale()
    with unit_of_work():  # after the commit above: its runs' files are no longer waiting
        removed = sweep_files()
    return Cleared(count, removed)


def cleanup_job() -> Cleared:
    cleared = cleanup()
    if cleared.runs or cleared.files:
        log.info("imports: %d runs not started deleted, %d files removed", cleared.runs, cleared.files)
    return cleared
